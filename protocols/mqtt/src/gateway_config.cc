#include "gateway_config.h"

#include "config_section.h"
#include "wire.h"

namespace plexus::protocol::mqtt {

sdk::result<gateway_config> parse_gateway_config(std::string_view json) noexcept
try {
    auto section = storage::config_section::parse(json, "mqtt listener config");
    if (!section) {
        return section.error();
    }
    auto& s = *section;
    gateway_config c;
    if (auto st = websocket::read_transport(s, "mqtt listener config", c.transport); !st.ok()) {
        return st;
    }
    std::uint64_t connect_ms = static_cast<std::uint64_t>(c.connect_timeout.count());
    std::uint64_t sys_interval_s = static_cast<std::uint64_t>(c.sys_interval.count());
    auto anonymous = s.boolean("allow_anonymous");
    if (!anonymous) {
        return anonymous.error();
    }
    c.allow_anonymous = anonymous->value_or(c.allow_anonymous);
    auto follow = s.boolean("follow_queue_shard");
    if (!follow) {
        return follow.error();
    }
    c.follow_queue_shard = follow->value_or(c.follow_queue_shard);
    auto vhost = s.text("vhost");
    if (!vhost) {
        return vhost.error();
    }
    c.vhost = vhost->value_or(c.vhost);
    if (c.vhost.empty()) {
        return sdk::status(sdk::errc::invalid_argument, "mqtt listener config: vhost may not be empty");
    }
    for (auto st : { s.read_integer("max_packet_size", 64, max_variable_byte_integer + 5, c.max_packet_size),
                     s.read_integer("receive_maximum", 1, 65535, c.receive_maximum),
                     s.read_integer("max_inflight", 1, 65535, c.max_inflight),
                     s.read_integer("topic_alias_maximum", 0, 65535, c.topic_alias_maximum),
                     s.read_integer("outbound_topic_alias_maximum", 0, 65535, c.outbound_topic_alias_maximum),
                     s.read_integer("connect_timeout_ms", 1, 3600000, connect_ms),
                     s.read_integer("sys_interval_s", 0, 86400, sys_interval_s),
                     s.read_integer("max_keep_alive_s", 1, 65535, c.max_keep_alive),
                     s.finish() }) {
        if (!st.ok()) {
            return st;
        }
    }
    c.connect_timeout = std::chrono::milliseconds(connect_ms);
    c.sys_interval = std::chrono::seconds(sys_interval_s);
    return c;
} catch (const std::exception&) {
    return sdk::status(sdk::errc::resource_exhausted, "out of memory reading the mqtt listener config");
}

} // namespace plexus::protocol::mqtt
