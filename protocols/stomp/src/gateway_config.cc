#include "gateway_config.h"

#include "config_section.h"

#include <string>

namespace plexus::protocol::stomp {

sdk::result<gateway_config> parse_gateway_config(std::string_view json) noexcept
try {
    auto section = storage::config_section::parse(json, "stomp listener config");
    if (!section) {
        return section.error();
    }
    auto& s = *section;
    gateway_config c;
    if (auto st = websocket::read_transport(s, "stomp listener config", c.transport); !st.ok()) {
        return st;
    }
    auto frames = s.one_of("websocket_frames", { "text", "binary" });
    if (!frames) {
        return frames.error();
    }
    if (frames->has_value()) {
        if (!c.transport.websocket) {
            return sdk::status(sdk::errc::invalid_argument,
                               "stomp listener config key 'websocket_frames': needs transport: websocket");
        }
        c.websocket_binary_frames = **frames == "binary";
    }
    std::uint64_t handshake_ms = static_cast<std::uint64_t>(c.handshake_timeout.count());
    for (auto st : { s.read_integer("max_header_bytes", 1024, 1u << 24, c.limits.max_header_bytes),
                     s.read_integer("max_headers", 1, 100000, c.limits.max_headers),
                     s.read_integer("max_body_bytes", 0, 1u << 30, c.limits.max_body_bytes),
                     s.read_integer("min_heartbeat_ms", 1, 3600000, c.min_heartbeat_ms),
                     s.read_integer("handshake_timeout_ms", 1, 3600000, handshake_ms),
                     s.finish() }) {
        if (!st.ok()) {
            return st;
        }
    }
    c.handshake_timeout = std::chrono::milliseconds(handshake_ms);
    return c;
} catch (const std::exception&) {
    return sdk::status(sdk::errc::resource_exhausted, "out of memory reading the stomp listener config");
}

} // namespace plexus::protocol::stomp
