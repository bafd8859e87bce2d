// A listener's `config` section for protocol amqp091 (docs/protocols/amqp091.md lists the
// keys): the limits the server proposes in connection.tune and how long a client may take
// to open its connection.
#pragma once

#include "plexus/sdk/result.h"

#include <chrono>
#include <cstdint>
#include <string_view>

namespace plexus::protocol::amqp091 {

struct gateway_config
{
    std::uint16_t channel_max = 2047;     ///< RabbitMQ's default
    std::uint32_t frame_max = 131072;     ///< RabbitMQ's default (128 KiB)
    std::uint16_t heartbeat_seconds = 60; ///< proposed; the client's tune-ok decides, 0 = off
    std::chrono::milliseconds handshake_timeout{ 10000 };
    /// A connection that only publishes, steadily to queues of one other shard, moves there
    /// (docs/adr/0022): one hand-off between threads less per message.
    bool follow_queue_shard = true;
};

/// Parses and checks the section; errors name the key.
sdk::result<gateway_config> parse_gateway_config(std::string_view json) noexcept;

} // namespace plexus::protocol::amqp091
