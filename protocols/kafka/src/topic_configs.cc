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

} // namespace

std::vector<described_config> describe_topic_configs(const sdk::stream_info& stream)
{
    described_config cleanup{ "cleanup.policy", "delete", true, default_source, list_type, false };
    // The engine is always named: the kernel answers the one it resolved, the configured
    // default included, and the gateway cannot tell the two apart.
    std::vector<described_config> out{
        cleanup,
        fixed(forward_key, stream.forward_exchange, stream.forward_exchange.empty(), string_type),
        fixed(storage_key, stream.storage, false, string_type),
        retention("retention.bytes", stream.retention_bytes),
        retention("retention.ms", stream.retention_ms)
    };
    if (stream.segment_bytes > 0) {
        // The engine's setting, the same for every topic it keeps: a static broker config.
        auto segment = fixed(segment_key, std::to_string(stream.segment_bytes), false, int_type);
        segment.source = static_broker_source;
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

std::optional<std::string> apply_topic_config(topic_retention& retention,
                                              const sdk::stream_info& current,
                                              std::string_view name,
                                              config_operation op,
                                              const std::optional<std::string>& value)
{
    if (name == "retention.ms" || name == "retention.bytes") {
        auto& target = name == "retention.ms" ? retention.ms : retention.bytes;
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
    if (name == "cleanup.policy") {
        // Streams are never compacted: "delete" is the only policy there is.
        bool keeps_delete = op == config_operation::remove ||
                            ((op == config_operation::set || op == config_operation::append) && value == "delete");
        if (!keeps_delete) {
            return std::string("cleanup.policy can only be delete (streams are not compacted)");
        }
        return std::nullopt;
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
        if (op == config_operation::set && value == std::to_string(current.segment_bytes)) {
            return std::nullopt;
        }
        return "segment.bytes is the storage engine's setting (storage.engines." + current.storage +
               ".segment_bytes), the same for every topic it keeps: it is " + std::to_string(current.segment_bytes);
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
    if (name == "cleanup.policy") {
        if (text != "delete") {
            return std::string("cleanup.policy can only be delete (streams are not compacted)");
        }
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
        return std::string("segment.bytes is the storage engine's setting (storage.engines.<engine>.segment_bytes), "
                           "not a topic's");
    }
    return "topic config " + std::string(name) + " is not supported";
}

} // namespace plexus::protocol::kafka
