// Who belongs to each shared subscription's group queue (spec 5.0 §4.8.2), across every
// listener. A group queue holds the group's messages for its members to compete for; it must
// stay while any member's session does (an offline persistent member's too, so the group's
// messages wait for it), and go when the last member's session ends, unsubscribes or expires.
// The kernel's auto-delete cannot say that (it counts consumers, and an offline member has
// none), so the gateway counts the members itself; after a restart the counts come back from
// the stored sessions.
//
// A group queue is durable when a persistent session created it; a group created by a clean
// session is not, and a persistent member that resumes after a restart declares it again.
#pragma once

#include "topic.h"

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <utility>

namespace plexus::protocol::mqtt {

/// The group queue of a shared subscription: "mqtt-shared.<group>.<binding key>".
std::string shared_queue_name(const shared_filter& s);

class shared_groups
{
  public:
    void join(const std::string& vhost, const std::string& queue, const std::string& client_id);
    /// True when `client_id` was the last member: the caller deletes the queue.
    bool leave(const std::string& vhost, const std::string& queue, const std::string& client_id);
    std::size_t members(const std::string& vhost, const std::string& queue) const;

  private:
    mutable std::mutex _mutex;
    std::map<std::pair<std::string, std::string>, std::set<std::string>> _members; ///< by (vhost, queue)
};

} // namespace plexus::protocol::mqtt
