#include "gateway_config.h"

#include "config_section.h"
#include "frame.h"

namespace plexus::protocol::amqp091 {

sdk::result<gateway_config> parse_gateway_config(std::string_view json) noexcept
try {
    auto section = storage::config_section::parse(json, "amqp091 listener config");
    if (!section) {
        return section.error();
    }
    auto& s = *section;
    gateway_config c;
    std::uint64_t handshake_ms = static_cast<std::uint64_t>(c.handshake_timeout.count());
    for (auto st : { s.read_integer("channel_max", 1, 65535, c.channel_max),
                     s.read_integer("frame_max", frame_min_size, 1u << 30, c.frame_max),
                     s.read_integer("heartbeat_seconds", 0, 65535, c.heartbeat_seconds),
                     s.read_integer("handshake_timeout_ms", 1, 3600000, handshake_ms) }) {
        if (!st.ok()) {
            return st;
        }
    }
    auto follow = s.boolean("follow_queue_shard");
    if (!follow) {
        return follow.error();
    }
    c.follow_queue_shard = follow->value_or(c.follow_queue_shard);
    if (auto st = s.finish(); !st.ok()) {
        return st;
    }
    c.handshake_timeout = std::chrono::milliseconds(handshake_ms);
    return c;
} catch (const std::exception&) {
    return sdk::status(sdk::errc::resource_exhausted, "out of memory reading the amqp091 listener config");
}

} // namespace plexus::protocol::amqp091
