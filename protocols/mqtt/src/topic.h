// Topic names and filters: validation (3.1.1 §4.7, 5.0 §4.7), matching, shared subscriptions
// (5.0 §4.8.2) and the translation to amq.topic routing and binding keys.
//
// Translation (ARCHITECTURE.md §3): the level separator '/' becomes the AMQP word separator
// '.', and a '.' inside a level becomes '/', so the mapping is a bijection and a topic such as
// "sensors/temp.c" survives the round trip ("sensors.temp/c" on the AMQP side, as RabbitMQ's
// MQTT plugin does). In filters '+' becomes '*' and '#' stays '#'. amq.topic uses AMQP
// syntax, so the gateway matches every delivery against the session's MQTT filters again:
// that applies the '$' rule (a leading wildcard does not match "$SYS/..."), which AMQP
// routing does not know, and drops what only matched because a level held a literal '*'.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace plexus::protocol::mqtt {

/// A topic name a client may publish to: non-empty, no '+' or '#'. (UTF-8 is checked by the
/// decoder.)
bool valid_topic_name(std::string_view topic) noexcept;

/// A topic filter: non-empty, '+' alone in its level, '#' alone in the last level.
bool valid_topic_filter(std::string_view filter) noexcept;

/// Whether `topic` matches `filter`, with the '$' rule.
bool topic_matches(std::string_view filter, std::string_view topic) noexcept;

/// True when the filter contains '+' or '#'.
bool has_wildcards(std::string_view filter) noexcept;

/// "$share/<group>/<filter>" split; nullopt when `filter` is not a shared subscription.
struct shared_filter
{
    std::string group;
    std::string filter;
};
/// A shared subscription, or nullopt for an ordinary filter. `valid` turns false for a
/// "$share/..." that is malformed (empty or wildcard share name, no filter).
std::optional<shared_filter> parse_shared(std::string_view filter, bool& valid);

/// MQTT topic → amq.topic routing key, and back.
std::string to_routing_key(std::string_view topic);
std::string to_topic(std::string_view routing_key);
/// MQTT filter → amq.topic binding key.
std::string to_binding_key(std::string_view filter);

} // namespace plexus::protocol::mqtt
