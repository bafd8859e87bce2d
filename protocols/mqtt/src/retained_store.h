// Retained messages, one table per vhost, shared by every shard's sessions of every listener.
//
// The table is in memory and, once attach()ed, backed by the broker's plugin store (space
// "mqtt", keys `retained/<vhost>\0<topic>`, values in the engines' record encoding): loaded
// on the first session, written through on every change, so retained messages survive a
// plexusd restart on a durable engine (ARCHITECTURE.md §3). A mutex guards the table because
// publishers and subscribers on every shard use it; it is held to copy message pointers and
// to hand a write to the store (so the store sees changes in the table's order), never
// across a kernel call.
#pragma once

#include "plexus/sdk/log.h"
#include "plexus/sdk/message.h"
#include "plexus/sdk/storage.h"

#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace plexus::protocol::mqtt {

class retained_store
{
  public:
    /// Backs the table with `store`: the first call loads what the store holds (and logs
    /// what it could not decode); later calls do nothing.
    void attach(sdk::kv_store& store, sdk::logger& log);
    /// Stores `msg` as the topic's retained message; an empty body clears it (spec §3.3.1.3).
    /// Without `write_through` it is kept in memory only (the $SYS values, made anew after a
    /// restart).
    void set(const std::string& vhost, const std::string& topic, sdk::message_ptr msg, bool write_through = true);
    /// How many retained messages the vhost has.
    std::size_t count(const std::string& vhost) const;
    /// Every retained (topic, message) whose topic matches `filter`.
    std::vector<std::pair<std::string, sdk::message_ptr>> matching(const std::string& vhost,
                                                                   std::string_view filter) const;

  private:
    void load();

    mutable std::mutex _mutex;
    std::map<std::string, std::map<std::string, sdk::message_ptr>, std::less<>> _by_vhost;
    sdk::kv_store* _store = nullptr;
    sdk::logger* _log = nullptr;
};

} // namespace plexus::protocol::mqtt
