// Persistent sessions' records (session_record.h) in the broker's plugin store: space "mqtt",
// keys `session/<vhost>\0<client id>`. Written through on every change of a persistent
// session's state (connect, disconnect, SUBSCRIBE, UNSUBSCRIBE, a QoS 2 id taken or freed),
// removed when the session ends, read once at the first connection after a start.
//
// A mutex is held while a write is handed to the store, so the store sees the writes of every
// shard in the order they were made (a session's last record is the one that stays); never
// across a kernel call.
#pragma once

#include "session_record.h"

#include "plexus/sdk/log.h"
#include "plexus/sdk/storage.h"

#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace plexus::protocol::mqtt {

class session_store
{
  public:
    struct stored
    {
        std::string vhost;
        std::string client_id;
        session_record record;
    };
    /// Backs the records with `store` and returns what it holds (skipping, and logging, what
    /// does not decode).
    std::vector<stored> attach(sdk::kv_store& store, sdk::logger& log);
    void save(const std::string& vhost, const std::string& client_id, const session_record& r);
    void remove(const std::string& vhost, const std::string& client_id);

  private:
    void write(std::string key, std::optional<std::string> value);

    std::mutex _mutex;
    sdk::kv_store* _store = nullptr;
    sdk::logger* _log = nullptr;
};

} // namespace plexus::protocol::mqtt
