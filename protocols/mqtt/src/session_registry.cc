#include "session_registry.h"

namespace plexus::protocol::mqtt {

session_registry::claim session_registry::take(const std::string& client_id,
                                               sdk::executor& shard,
                                               const std::shared_ptr<session_owner>& owner)
{
    std::lock_guard lock(_mutex);
    auto& e = _entries[client_id];
    claim c{ e.state, e.shard, e.owner };
    e.shard = &shard;
    e.owner = owner;
    e.owner_id = owner.get();
    return c;
}

void session_registry::keep(const std::string& client_id, std::shared_ptr<session_state> state)
{
    std::lock_guard lock(_mutex);
    _entries[client_id].state = std::move(state);
}

void session_registry::released(const std::string& client_id, const session_owner* owner, bool forget)
{
    std::lock_guard lock(_mutex);
    auto it = _entries.find(client_id);
    if (it == _entries.end() || it->second.owner_id != owner) {
        return; // another connection took the session since: it is theirs now
    }
    if (forget || !it->second.state) {
        _entries.erase(it);
        return;
    }
    it->second.owner.reset();
    it->second.owner_id = nullptr;
    it->second.shard = nullptr;
}

void session_registry::expire(const std::string& client_id, const session_state* state)
{
    std::lock_guard lock(_mutex);
    auto it = _entries.find(client_id);
    if (it != _entries.end() && it->second.state.get() == state && it->second.owner_id == nullptr) {
        _entries.erase(it);
    }
}

} // namespace plexus::protocol::mqtt
