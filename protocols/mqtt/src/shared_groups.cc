#include "shared_groups.h"

namespace plexus::protocol::mqtt {

std::string shared_queue_name(const shared_filter& s)
{
    return "mqtt-shared." + s.group + "." + to_binding_key(s.filter);
}

void shared_groups::join(const std::string& vhost, const std::string& queue, const std::string& client_id)
{
    std::lock_guard lock(_mutex);
    _members[{ vhost, queue }].insert(client_id);
}

bool shared_groups::leave(const std::string& vhost, const std::string& queue, const std::string& client_id)
{
    std::lock_guard lock(_mutex);
    auto it = _members.find({ vhost, queue });
    if (it == _members.end() || it->second.erase(client_id) == 0) {
        return false; // not a member: someone else's leave deletes the queue
    }
    if (!it->second.empty()) {
        return false;
    }
    _members.erase(it);
    return true;
}

std::size_t shared_groups::members(const std::string& vhost, const std::string& queue) const
{
    std::lock_guard lock(_mutex);
    auto it = _members.find({ vhost, queue });
    return it == _members.end() ? 0 : it->second.size();
}

} // namespace plexus::protocol::mqtt
