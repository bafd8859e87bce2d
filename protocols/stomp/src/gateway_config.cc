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
    auto bounded = [&](std::string_view key, std::uint64_t min, std::uint64_t max, auto& target) -> sdk::status {
        auto v = s.integer(key, min);
        if (!v) {
            return v.error();
        }
        if (!v->has_value()) {
            return {};
        }
        if (**v > max) {
            return sdk::status(sdk::errc::invalid_argument,
                               "stomp listener config key '" + std::string(key) + "': at most " + std::to_string(max) +
                                 ", got " + std::to_string(**v));
        }
        target = static_cast<std::remove_reference_t<decltype(target)>>(**v);
        return {};
    };
    std::uint64_t handshake_ms = static_cast<std::uint64_t>(c.handshake_timeout.count());
    for (auto st : { bounded("max_header_bytes", 1024, 1u << 24, c.limits.max_header_bytes),
                     bounded("max_headers", 1, 100000, c.limits.max_headers),
                     bounded("max_body_bytes", 0, 1u << 30, c.limits.max_body_bytes),
                     bounded("min_heartbeat_ms", 1, 3600000, c.min_heartbeat_ms),
                     bounded("handshake_timeout_ms", 1, 3600000, handshake_ms),
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
