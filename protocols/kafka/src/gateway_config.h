// A listener's `config` section for protocol kafka (docs/protocols/kafka.md lists the keys).
#pragma once

#include "plexus/sdk/result.h"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace plexus::protocol::kafka {

/// Whether clients must log in with SASL (docs/protocols/kafka.md, "Authentication").
enum class sasl_mode : std::uint8_t
{
    required, ///< every connection authenticates before anything but ApiVersions and SASL
    optional, ///< SASL is served; a connection without it is the broker's guest user
    off,      ///< no logins: every connection is served (Kafka's PLAINTEXT listener)
};

struct gateway_config
{
    /// Largest request accepted (the size prefix is checked before the body is read); Kafka's
    /// socket.request.max.bytes default is 100 MiB.
    std::uint32_t max_request_bytes = 100u << 20;
    /// Metadata for an unknown topic creates it (Kafka's auto.create.topics.enable).
    bool auto_create_topics = true;
    /// Partitions of an auto-created topic (Kafka's num.partitions).
    std::int32_t default_partitions = 1;
    /// Where clients are told the broker is (Metadata, FindCoordinator, DescribeCluster), as
    /// Kafka's advertised.listeners. Unset, each connection is told the address it connected
    /// to (its local end), which is right for a listener on 0.0.0.0 or on port 0; set them
    /// when clients reach the broker through an address it does not see (NAT, a proxy).
    std::optional<std::string> advertised_host;
    std::optional<std::int32_t> advertised_port;
    /// The vhost whose streams are the topics.
    std::string vhost = "/";
    /// The longest a waiting Fetch waits in the kernel at a time: an append wakes it at once,
    /// but the wait of a connection that closed stays out this long.
    std::chrono::milliseconds fetch_poll_interval{ 500 };
    /// Optional by default: an unauthenticated connection is served as guest / guest, which
    /// the broker accepts only from loopback and only while no `users` replace it, as the
    /// MQTT and STOMP gateways treat a client that gives no login.
    sasl_mode sasl = sasl_mode::optional;
};

/// Parses and checks the section; errors name the key.
sdk::result<gateway_config> parse_gateway_config(std::string_view json) noexcept;

} // namespace plexus::protocol::kafka
