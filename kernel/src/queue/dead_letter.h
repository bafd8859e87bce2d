// Dead-lettering: the copy of a message that a queue republishes to its dead-letter exchange
// when it rejects, expires or overflows it, with the history RabbitMQ clients read.
#pragma once

#include "plexus/sdk/message.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace plexus::kernel {

/// Why a queue dead-letters a message (the names RabbitMQ's x-death uses).
enum class death_reason : std::uint8_t
{
    rejected, ///< nack / reject without requeue
    expired,  ///< its TTL ran out
    maxlen    ///< the queue was at its max length
};

std::string_view to_string(death_reason r) noexcept;

struct dead_letter_route
{
    std::string exchange;                   ///< x-dead-letter-exchange
    std::optional<std::string> routing_key; ///< x-dead-letter-routing-key; else the message's own
};

/// The message to publish to `route`: the history gains (or bumps) the entry for `queue` and
/// `reason`, x-first-death-* headers are set once, and a per-message TTL is removed (kept in
/// the history) so the copy does not expire again. nullptr when the message would go round a
/// cycle: it was dead-lettered from `queue` before and never rejected on the way (RabbitMQ
/// drops it then too).
sdk::message_ptr make_dead_letter(const sdk::message& msg,
                                  std::string_view queue,
                                  death_reason reason,
                                  const dead_letter_route& route,
                                  std::int64_t now_ms);

} // namespace plexus::kernel
