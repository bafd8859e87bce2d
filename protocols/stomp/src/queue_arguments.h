// Queue arguments as RabbitMQ's STOMP plugin takes them: headers of a SUBSCRIBE or SEND that
// declares a queue (x-message-ttl, x-max-length, x-dead-letter-exchange, x-queue-type, …),
// typed as the kernel reads them; and x-stream-offset, where a stream subscription starts.
#pragma once

#include "frame.h"
#include "stomp_error.h"
#include "plexus/sdk/kernel.h"

#include <optional>
#include <variant>

namespace plexus::protocol::stomp {

/// The queue arguments `f` carries (none: empty), or the error for a malformed one.
std::variant<sdk::headers, frame_error> queue_arguments(const frame& f);

/// x-stream-offset (first, last, next, offset=N, timestamp=T in seconds): nullopt when absent.
std::variant<std::optional<sdk::stream_start>, frame_error> stream_offset(const frame& f);

} // namespace plexus::protocol::stomp
