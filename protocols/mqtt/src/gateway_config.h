// A listener's `config` section for protocol mqtt (docs/protocols/mqtt.md lists the keys):
// the limits announced in CONNACK, who may connect without credentials, and the transport.
#pragma once

#include "transport_config.h"
#include "plexus/sdk/result.h"

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace plexus::protocol::mqtt {

struct gateway_config
{
    /// Connections without a user name are accepted from loopback addresses when true, as
    /// Mosquitto 2 does on its local-only default listener; never from other addresses,
    /// because the kernel has no users yet (the same rule as guest/guest).
    bool allow_anonymous = true;
    std::uint32_t max_packet_size = 1u << 20; ///< largest packet accepted (and announced)
    std::uint16_t receive_maximum = 1024;     ///< QoS 1/2 publishes a client may have unacked
    std::uint16_t max_inflight = 1024;        ///< QoS 1/2 deliveries unacked per session
    std::uint16_t topic_alias_maximum = 64;   ///< aliases a client may set
    /// Aliases the broker sets on its PUBLISH packets to a v5 client, at most as many as the
    /// client's CONNECT allows (outbound_topic_aliases.h); 0: the broker sends full topics.
    std::uint16_t outbound_topic_alias_maximum = 64;
    /// How long a client may take to send CONNECT (and, on a WebSocket listener, the upgrade).
    std::chrono::milliseconds connect_timeout{ 10000 };
    /// The longest keep-alive a client may ask for (Mosquitto's max_keepalive); 65535 is no
    /// limit. A v5 client asking for more, or for none, is given this one in CONNACK.
    std::uint16_t max_keep_alive = 65535;
    /// How often the $SYS topics are published; 0: not at all. They are broker-wide, so the
    /// first mqtt listener of the config decides (sys_topics.h).
    std::chrono::seconds sys_interval{ 10 };
    websocket::listener_transport transport; ///< `transport`, `websocket_path`
    /// The vhost the listener's clients work in (RabbitMQ's mqtt.vhost): their sessions,
    /// retained messages and amq.topic are that vhost's.
    std::string vhost = "/";
    /// A session that only publishes moves to the shard of its subscribers' queues after a
    /// run of publishes routed there (docs/adr/0022); WebSocket connections never move.
    bool follow_queue_shard = true;
};

/// Parses and checks the section; errors name the key.
sdk::result<gateway_config> parse_gateway_config(std::string_view json) noexcept;

} // namespace plexus::protocol::mqtt
