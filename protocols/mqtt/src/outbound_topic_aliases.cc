#include "outbound_topic_aliases.h"

namespace plexus::protocol::mqtt {

outbound_topic_aliases::use outbound_topic_aliases::peek(std::string_view topic) const
{
    if (_maximum == 0) {
        return {};
    }
    if (auto it = _by_topic.find(topic); it != _by_topic.end()) {
        return { it->second.alias, false };
    }
    if (_by_topic.size() < _maximum) {
        return { static_cast<std::uint16_t>(_by_topic.size() + 1), true };
    }
    return { _by_topic.at(_by_use.back()).alias, true };
}

std::optional<outbound_topic_aliases::use> outbound_topic_aliases::assign(std::string_view topic)
{
    if (_maximum == 0) {
        return std::nullopt;
    }
    if (auto it = _by_topic.find(topic); it != _by_topic.end()) {
        _by_use.splice(_by_use.begin(), _by_use, it->second.position);
        return use{ it->second.alias, false };
    }
    std::uint16_t alias = 0;
    if (_by_topic.size() < _maximum) {
        alias = static_cast<std::uint16_t>(_by_topic.size() + 1); // 1.., never 0 (spec)
        _by_use.emplace_front(topic);
    } else {
        auto oldest = std::prev(_by_use.end());
        alias = _by_topic.at(*oldest).alias;
        _by_topic.erase(*oldest);
        oldest->assign(topic); // the node moves to the front and holds the new topic
        _by_use.splice(_by_use.begin(), _by_use, oldest);
    }
    _by_topic.emplace(std::string_view(_by_use.front()), entry{ alias, _by_use.begin() });
    return use{ alias, true };
}

} // namespace plexus::protocol::mqtt
