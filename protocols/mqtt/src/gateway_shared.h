// What every MQTT listener of one broker shares: the sessions by client id, the persistent
// sessions' stored records and the retained messages. A client id names one session
// whichever listener it connects through (TCP or WebSocket), as in Mosquitto, so a takeover
// or a resumed persistent session works across listeners, and a retained message set through
// one listener reaches the subscribers of all.
//
// The listeners own it jointly; the plugin's factory keeps only a weak reference, so a
// broker created again in the same process starts from what its store holds, not from the
// previous broker's memory.
#pragma once

#include "retained_store.h"
#include "session_registry.h"
#include "session_store.h"
#include "shared_groups.h"
#include "sys_topics.h"

#include "plexus/sdk/kernel.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <map>
#include <mutex>
#include <set>
#include <string>

namespace plexus::protocol::mqtt {

class gateway_shared : public std::enable_shared_from_this<gateway_shared>
{
  public:
    explicit gateway_shared(std::chrono::seconds sys_interval)
      : sys(counters, retained, sys_interval, [this] { return vhosts(); })
    {
    }

    /// On the first connection after a start: loads the retained messages and the persistent
    /// sessions from the kernel's plugin store, arms the offline sessions' expiry on `shard`
    /// (an expired one is removed at once) and starts the $SYS topics there. Later calls do
    /// nothing.
    void attach(sdk::kernel& k, sdk::executor& shard);

    /// Arms the expiry of an offline persistent session on `shard`: when it fires, unless a
    /// connection took the session since `generation`, the session's queue and record are
    /// deleted and the registry forgets it. Call with `st->mutex` held; the timer must be
    /// destroyed on `shard`.
    std::unique_ptr<sdk::timer> arm_expiry(sdk::kernel& k,
                                           sdk::executor& shard,
                                           std::shared_ptr<session_state> st,
                                           std::uint64_t generation,
                                           std::string vhost,
                                           std::chrono::milliseconds after);

    /// `client_id`'s session no longer holds the shared subscriptions among `subs`: a group
    /// queue it was the last member of is deleted (if no consumer is on it by then). `done`
    /// runs once every such deletion has finished (at once when there is none), on the
    /// calling shard.
    void leave_groups(sdk::kernel& k,
                      const std::string& vhost,
                      const std::string& client_id,
                      const std::map<std::string, subscription_entry>& subs,
                      sdk::callback<void()> done = {});
    /// The same for every shared subscription `st` holds now (read under its mutex).
    void leave_groups(sdk::kernel& k, const std::string& vhost, session_state& st, sdk::callback<void()> done = {});

    /// The sessions of one vhost by client id (a client id names one session per vhost).
    session_registry& sessions_of(const std::string& vhost);
    /// A listener serves `vhost` (its $SYS topics are published there).
    void add_vhost(const std::string& vhost);
    std::set<std::string> vhosts() const;

    shared_groups groups;
    session_store session_records;
    retained_store retained;
    /// Numbers assigned client ids ("plexus-<n>") across shards and listeners.
    std::atomic<std::uint64_t> assigned_ids{ 0 };
    sys_counters counters;
    sys_publisher sys; ///< after what it reads, so it is destroyed first

  private:
    void restore_sessions(sdk::kernel& k, sdk::executor& shard, std::vector<session_store::stored> stored);

    std::mutex _attach_mutex;
    bool _attached = false;
    mutable std::mutex _registries_mutex;
    std::map<std::string, session_registry> _registries;
    std::set<std::string> _vhosts;
};

} // namespace plexus::protocol::mqtt
