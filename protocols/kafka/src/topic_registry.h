// The topics one listener's clients have used or created, for a Metadata request that asks
// for every topic. The SDK has no call that lists a vhost's streams, so the gateway remembers
// what it has seen; streams made elsewhere (AMQP) appear once a client names them.
//
// Threading: shared by the listener's sessions on every shard, so it takes a lock; it is
// touched once per Metadata request, never on the produce or fetch path.
#pragma once

#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace plexus::protocol::kafka {

class topic_registry
{
  public:
    void add(const std::string& topic);
    void remove(const std::string& topic);
    std::vector<std::string> names() const;

  private:
    mutable std::mutex _mutex;
    std::set<std::string> _topics;
};

} // namespace plexus::protocol::kafka
