// Retained messages, one table per vhost, shared by every shard's sessions of a listener.
//
// The kernel has no metadata API for plugins yet (ARCHITECTURE.md §3 wants retained messages
// in the engine's metadata store), so they live here, in memory: they do not survive a
// plexusd restart and are not shared between listeners. A mutex guards the table because
// publishers and subscribers on every shard use it; it is held only to copy message
// pointers, never across a kernel call.
#pragma once

#include "plexus/sdk/message.h"

#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace plexus::protocol::mqtt {

class retained_store
{
  public:
    /// Stores `msg` as the topic's retained message; an empty body clears it (spec §3.3.1.3).
    void set(const std::string& vhost, const std::string& topic, sdk::message_ptr msg);
    /// Every retained (topic, message) whose topic matches `filter`.
    std::vector<std::pair<std::string, sdk::message_ptr>> matching(const std::string& vhost,
                                                                   std::string_view filter) const;

  private:
    mutable std::mutex _mutex;
    std::map<std::string, std::map<std::string, sdk::message_ptr>, std::less<>> _by_vhost;
};

} // namespace plexus::protocol::mqtt
