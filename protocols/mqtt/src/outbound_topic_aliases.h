// The topic aliases the broker sets on its PUBLISH packets to one v5 connection (spec 5.0
// §3.3.2.3.4): the first delivery of a topic carries the topic and a new alias, the later ones
// the alias alone, which saves the topic's bytes on every message of a device's busy topics.
//
// The client says in CONNECT how many aliases it accepts (Topic Alias Maximum, 0 when absent:
// none), the listener caps that (`outbound_topic_alias_maximum`). Once every alias is taken,
// a new topic takes the least recently used one: the PUBLISH carries the topic and the
// reassigned alias, as the spec allows, so a connection cycling through more topics than it has
// aliases pays the alias's three bytes per packet and never misroutes one. The table belongs
// to the network connection: a reconnect starts empty, as the spec says.
//
// Threading: one connection's, on its shard.
#pragma once

#include <cstdint>
#include <list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace plexus::protocol::mqtt {

class outbound_topic_aliases
{
  public:
    /// What to put on a PUBLISH of a topic.
    struct use
    {
        std::uint16_t alias = 0;
        bool send_topic = false; ///< the alias is new for this topic: the topic goes too
    };

    /// `maximum` 0 turns aliases off.
    explicit outbound_topic_aliases(std::uint16_t maximum = 0) noexcept
      : _maximum(maximum)
    {
    }

    bool enabled() const noexcept { return _maximum > 0; }
    std::uint16_t maximum() const noexcept { return _maximum; }

    /// What the next assign() of `topic` would return, without changing anything (alias 0
    /// when aliases are off).
    use peek(std::string_view topic) const;
    /// Makes `topic` the most recently used, giving it an alias when it has none (taking the
    /// least recently used one when all are taken). nullopt when aliases are off.
    std::optional<use> assign(std::string_view topic);

  private:
    struct entry
    {
        std::uint16_t alias;
        std::list<std::string>::iterator position; ///< in _by_use
    };

    std::uint16_t _maximum;
    std::list<std::string> _by_use;                        ///< topics holding an alias, most recently used first
    std::unordered_map<std::string_view, entry> _by_topic; ///< keys view _by_use's strings
};

} // namespace plexus::protocol::mqtt
