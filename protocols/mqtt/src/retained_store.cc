#include "retained_store.h"

#include "topic.h"

namespace plexus::protocol::mqtt {

void retained_store::set(const std::string& vhost, const std::string& topic, sdk::message_ptr msg)
{
    std::lock_guard lock(_mutex);
    auto& table = _by_vhost[vhost];
    if (!msg || msg->body.empty()) {
        table.erase(topic);
    } else {
        table[topic] = std::move(msg);
    }
}

std::vector<std::pair<std::string, sdk::message_ptr>> retained_store::matching(const std::string& vhost,
                                                                               std::string_view filter) const
{
    std::vector<std::pair<std::string, sdk::message_ptr>> out;
    std::lock_guard lock(_mutex);
    auto it = _by_vhost.find(vhost);
    if (it == _by_vhost.end()) {
        return out;
    }
    if (!has_wildcards(filter)) {
        if (auto m = it->second.find(std::string(filter)); m != it->second.end()) {
            out.emplace_back(m->first, m->second);
        }
        return out;
    }
    for (const auto& [topic, msg] : it->second) {
        if (topic_matches(filter, topic)) {
            out.emplace_back(topic, msg);
        }
    }
    return out;
}

} // namespace plexus::protocol::mqtt
