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
constexpr std::int8_t list_type = 7;

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
    return { cleanup,
             retention("retention.bytes", stream.retention_bytes),
             retention("retention.ms", stream.retention_ms) };
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
    return "topic config " + std::string(name) + " is not supported";
}

} // namespace plexus::protocol::kafka
