// Destinations as RabbitMQ's STOMP plugin names them (docs/protocols/stomp.md):
//   /queue/q        queue q, declared durable on first use, through the default exchange
//   /topic/k        amq.topic with routing key k; subscribing binds a queue of its own
//   /exchange/x/k   exchange x with routing key k (k may be empty)
//   /amq/queue/q    an existing queue q, never declared
//   /temp-queue/t   a private reply queue of this connection, created on first use
//   /reply-queue/q  the queue a /temp-queue/ reply-to was rewritten to (never declared)
#pragma once

#include "frame_parser.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace plexus::protocol::stomp {

enum class destination_kind : std::uint8_t
{
    queue,
    topic,
    exchange,
    amq_queue,
    temp_queue,
    reply_queue,
};

struct destination
{
    destination_kind kind = destination_kind::queue;
    std::string name; ///< the queue, exchange or temp-queue name (empty for topics)
    std::string key;  ///< the routing key (topics and exchanges)
};

inline constexpr std::string_view topic_exchange = "amq.topic";

std::variant<destination, frame_error> parse_destination(std::string_view text);

/// The destination header a MESSAGE carries for a message published to `exchange` with
/// `routing_key`: /queue/k for the default exchange, /topic/k for amq.topic, else
/// /exchange/x/k.
std::string destination_of(std::string_view exchange, std::string_view routing_key);

} // namespace plexus::protocol::stomp
