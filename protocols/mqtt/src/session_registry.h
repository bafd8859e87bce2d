// The sessions of one listener by client id: which connection holds each one now (for
// takeover, spec 5.0 §3.1.4: a second CONNECT with the same client id closes the first) and
// the state of persistent sessions whose client is offline.
//
// Connections of one client id may live on different shards, so the table is guarded by a
// mutex, held only for lookups and updates (connect and close: the control plane, never per
// message). The previous owner is told on its own shard: its executor is posted a task that
// finds it through a weak pointer, so a connection that has gone meanwhile is simply absent.
#pragma once

#include "session_state.h"
#include "plexus/sdk/executor.h"

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace plexus::protocol::mqtt {

/// What the registry keeps of a live connection: its shard and how to close it.
class session_owner
{
  public:
    virtual ~session_owner() = default;
    /// Another connection took the session. Called on `on`, the shard the registry knew the
    /// owner on; an owner that moved since forwards it (owner_link.h).
    virtual void taken_over(sdk::executor& on) noexcept = 0;
};

class session_registry
{
  public:
    struct claim
    {
        std::shared_ptr<session_state> state; ///< nullptr: no session was kept for this id
        sdk::executor* previous_shard = nullptr;
        std::weak_ptr<session_owner> previous; ///< the connection to close, if any
    };

    /// Makes `owner` (on `shard`) the connection of `client_id`; returns the session kept so
    /// far (live or offline) and the connection that held it.
    claim take(const std::string& client_id, sdk::executor& shard, const std::shared_ptr<session_owner>& owner);
    /// Keeps `state` as the session of `client_id` (held by `owner`).
    void keep(const std::string& client_id, std::shared_ptr<session_state> state);
    /// The connection `owner` closed: it no longer holds the session. When `forget` the
    /// session's state is dropped too (clean sessions, expired ones).
    void released(const std::string& client_id, const session_owner* owner, bool forget);
    /// Drops the offline session `state` if it is still the one kept (session expiry).
    void expire(const std::string& client_id, const session_state* state);

  private:
    struct entry
    {
        std::shared_ptr<session_state> state;
        sdk::executor* shard = nullptr;
        std::weak_ptr<session_owner> owner;
        const session_owner* owner_id = nullptr;
    };
    std::mutex _mutex;
    std::unordered_map<std::string, entry> _entries;
};

} // namespace plexus::protocol::mqtt
