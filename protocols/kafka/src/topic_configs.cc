#include "topic_configs.h"

#include <charconv>

namespace plexus::protocol::kafka {
namespace {

constexpr std::int8_t topic_config_source = 1;
constexpr std::int8_t static_broker_source = 4;
constexpr std::int8_t default_source = 5;
constexpr std::int8_t boolean_type = 1;
constexpr std::int8_t int_type = 3;
constexpr std::int8_t long_type = 5;
constexpr std::int8_t string_type = 2;
constexpr std::int8_t list_type = 7;

constexpr std::string_view storage_key = "plexus.storage";
constexpr std::string_view forward_key = "plexus.forward.exchange";
constexpr std::string_view segment_key = "segment.bytes";

described_config retention(std::string name, const std::optional<std::int64_t>& value)
{
    described_config c;
    c.name = std::move(name);
    c.value = value ? std::to_string(*value) : "-1";
    c.is_default = !value.has_value();
    c.source = value ? topic_config_source : default_source;
    c.type = long_type;
    return c;
}

/// A config fixed when the topic is created: reported read-only, as Kafka reports what a
/// client cannot change.
described_config fixed(std::string_view name, std::string value, bool is_default, std::int8_t type)
{
    described_config c;
    c.name = std::string(name);
    c.value = std::move(value);
    c.is_default = is_default;
    c.source = is_default ? default_source : topic_config_source;
    c.type = type;
    c.read_only = true;
    return c;
}

/// SET to the value a fixed key has is a no-op; anything else cannot be done.
std::optional<std::string> keep_fixed(std::string_view name,
                                      std::string_view current,
                                      config_operation op,
                                      const std::optional<std::string>& value)
{
    if (op == config_operation::set && value.value_or("") == current) {
        return std::nullopt;
    }
    return std::string(name) + " is fixed when the topic is created (it is '" + std::string(current) + "')";
}

described_config broker_setting(std::string name, std::string value, std::int8_t type)
{
    return { std::move(name), std::move(value), false, static_broker_source, type, true };
}

std::optional<std::int64_t> parse_long(std::string_view text)
{
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size()) {
        return std::nullopt;
    }
    return v;
}

/// Kafka's cleanup.policy list: which of delete and compact it names.
struct cleanup_policy
{
    bool del = false;
    bool compact = false;
};

std::optional<cleanup_policy> parse_policy(std::string_view text)
{
    cleanup_policy p;
    while (!text.empty()) {
        const auto comma = text.find(',');
        auto item = text.substr(0, comma);
        while (!item.empty() && item.front() == ' ') {
            item.remove_prefix(1);
        }
        while (!item.empty() && item.back() == ' ') {
            item.remove_suffix(1);
        }
        if (item == "delete") {
            p.del = true;
        } else if (item == "compact") {
            p.compact = true;
        } else {
            return std::nullopt;
        }
        text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    }
    if (!p.del && !p.compact) {
        return std::nullopt;
    }
    return p;
}

const std::string policy_error = "cleanup.policy must be delete, compact, or both (compact,delete)";

/// What a SET, DELETE, APPEND or SUBTRACT of cleanup.policy makes of `compact`. A stream
/// always applies the retention it has (none: unlimited), so delete is always in effect when
/// a retention is set and naming it or not changes only what is reported.
std::optional<std::string> apply_policy(bool& compact, config_operation op, const std::optional<std::string>& value)
{
    if (op == config_operation::remove) {
        compact = false; // the default: delete
        return std::nullopt;
    }
    auto p = parse_policy(value.value_or(""));
    if (!p) {
        return policy_error;
    }
    switch (op) {
        case config_operation::set:
            compact = p->compact;
            return std::nullopt;
        case config_operation::append:
            compact = compact || p->compact;
            return std::nullopt;
        case config_operation::subtract:
            if (p->compact) {
                compact = false;
            }
            return std::nullopt;
        case config_operation::remove:
            break;
    }
    return policy_error;
}

/// A millisecond or byte count: -1 (none) or more.
std::optional<std::string> set_limit(std::optional<std::int64_t>& target,
                                     std::string_view name,
                                     config_operation op,
                                     const std::optional<std::string>& value)
{
    if (op == config_operation::remove) {
        target.reset();
        return std::nullopt;
    }
    if (op != config_operation::set) {
        return std::string(name) + " is not a list: only SET and DELETE apply";
    }
    auto v = value ? parse_long(*value) : std::nullopt;
    if (!v || *v < -1) {
        return std::string(name) + " must be an integer, -1 for unlimited";
    }
    if (*v == -1) {
        target.reset();
    } else {
        target = *v;
    }
    return std::nullopt;
}

/// The smallest segment a topic may ask for: a segment holds at least a few batches.
constexpr std::int64_t min_segment_bytes = 4096;

} // namespace

sdk::stream_config config_of(const sdk::stream_info& stream)
{
    sdk::stream_config c;
    c.retention_ms = stream.retention_ms;
    c.retention_bytes = stream.retention_bytes;
    c.compact = stream.compact;
    c.delete_retention_ms = stream.delete_retention_ms;
    return c;
}

std::vector<described_config> describe_topic_configs(const sdk::stream_info& stream)
{
    const bool deletes = stream.retention_ms || stream.retention_bytes;
    const std::string policy = !stream.compact ? "delete" : deletes ? "compact,delete" : "compact";
    described_config cleanup{ "cleanup.policy", policy,
                              !stream.compact,  stream.compact ? topic_config_source : default_source,
                              list_type,        false };
    auto tombstones = retention("delete.retention.ms", stream.delete_retention_ms);
    if (!stream.delete_retention_ms) {
        tombstones.value = std::to_string(sdk::default_delete_retention_ms);
    }
    // The engine is always named: the kernel answers the one it resolved, the configured
    // default included, and the gateway cannot tell the two apart.
    std::vector<described_config> out{
        cleanup,
        tombstones,
        fixed(forward_key, stream.forward_exchange, stream.forward_exchange.empty(), string_type),
        fixed(storage_key, stream.storage, false, string_type),
        retention("retention.bytes", stream.retention_bytes),
        retention("retention.ms", stream.retention_ms)
    };
    if (stream.segment_bytes > 0) {
        // The topic's own, or the engine's setting: then a static broker config.
        auto segment = fixed(segment_key, std::to_string(stream.segment_bytes), false, int_type);
        if (stream.declared_segment_bytes == 0) {
            segment.source = static_broker_source;
        }
        out.push_back(std::move(segment));
    }
    return out;
}

std::vector<described_config> describe_broker_configs(const gateway_config& config)
{
    return {
        broker_setting("auto.create.topics.enable", config.auto_create_topics ? "true" : "false", boolean_type),
        broker_setting("broker.id", "0", int_type),
        broker_setting("num.partitions", std::to_string(config.default_partitions), int_type),
        broker_setting("socket.request.max.bytes", std::to_string(config.max_request_bytes), int_type),
    };
}

std::optional<std::string> apply_topic_config(sdk::stream_config& config,
                                              const sdk::stream_info& current,
                                              std::string_view name,
                                              config_operation op,
                                              const std::optional<std::string>& value)
{
    if (name == "retention.ms") {
        return set_limit(config.retention_ms, name, op, value);
    }
    if (name == "retention.bytes") {
        return set_limit(config.retention_bytes, name, op, value);
    }
    if (name == "delete.retention.ms") {
        return set_limit(config.delete_retention_ms, name, op, value);
    }
    if (name == "cleanup.policy") {
        return apply_policy(config.compact, op, value);
    }
    if (name == storage_key) {
        return keep_fixed(name, current.storage, op, value);
    }
    if (name == forward_key) {
        return keep_fixed(name, current.forward_exchange, op, value);
    }
    if (name == segment_key) {
        if (current.segment_bytes == 0) {
            return "segment.bytes does not apply: engine '" + current.storage + "' keeps no segments";
        }
        return keep_fixed(name, std::to_string(current.segment_bytes), op, value);
    }
    return "topic config " + std::string(name) + " is not supported";
}

std::optional<std::string> apply_creation_config(sdk::stream_spec& spec,
                                                 std::string_view name,
                                                 const std::optional<std::string>& value)
{
    std::string_view text = value ? std::string_view(*value) : std::string_view();
    if (name == "retention.ms" || name == "retention.bytes") {
        auto v = parse_long(text);
        if (!v || *v < -1) {
            return std::string(name) + " must be an integer, -1 for unlimited";
        }
        if (*v >= 0) { // -1: unlimited, the stream's default
            (name == "retention.ms" ? spec.retention_ms : spec.retention_bytes) = *v;
        }
        return std::nullopt;
    }
    if (name == "delete.retention.ms") {
        auto v = parse_long(text);
        if (!v || *v < 0) {
            return std::string("delete.retention.ms must be an integer of 0 or more");
        }
        spec.delete_retention_ms = *v;
        return std::nullopt;
    }
    if (name == "cleanup.policy") {
        auto p = parse_policy(text);
        if (!p) {
            return policy_error;
        }
        spec.compact = p->compact;
        return std::nullopt;
    }
    if (name == storage_key) {
        spec.storage = std::string(text); // "": the configured default engine
        return std::nullopt;
    }
    if (name == forward_key) {
        spec.forward_exchange = std::string(text); // "": none
        return std::nullopt;
    }
    if (name == segment_key) {
        // Kept by engines that keep segments (the file engine), ignored by the others.
        auto v = parse_long(text);
        if (!v || *v < min_segment_bytes) {
            return "segment.bytes must be an integer of at least " + std::to_string(min_segment_bytes);
        }
        spec.segment_bytes = static_cast<std::uint64_t>(*v);
        return std::nullopt;
    }
    return "topic config " + std::string(name) + " is not supported";
}

} // namespace plexus::protocol::kafka
