// The AMQP 0-9-1 reply codes and the error value the gateway passes around until it becomes a
// channel.close or connection.close. Which code a kernel status becomes is decided in one
// place, errors.cc.
#pragma once

#include "plexus/sdk/status.h"

#include <cstdint>
#include <string>
#include <string_view>

namespace plexus::protocol::amqp091 {

/// Spec §1.3 (constants). Codes 3xx/4xx are soft (close the channel), 5xx hard (close the
/// connection); 320 and 530 are hard too.
enum class reply_code : std::uint16_t
{
    success = 200,
    content_too_large = 311,
    no_route = 312,
    no_consumers = 313,
    connection_forced = 320,
    invalid_path = 402,
    access_refused = 403,
    not_found = 404,
    resource_locked = 405,
    precondition_failed = 406,
    frame_error = 501,
    syntax_error = 502,
    command_invalid = 503,
    channel_error = 504,
    unexpected_frame = 505,
    resource_error = 506,
    not_allowed = 530,
    not_implemented = 540,
    internal_error = 541,
};

/// "NOT_FOUND", "FRAME_ERROR", … as RabbitMQ prefixes its reply texts.
std::string_view code_name(reply_code code) noexcept;

/// True for the codes that close the whole connection, not only a channel.
bool is_connection_error(reply_code code) noexcept;

struct amqp_error
{
    reply_code code = reply_code::internal_error;
    std::string text; ///< the cause, without the code name ("no queue 'q' in vhost '/'")
    /// The method that caused it (0/0 when none, e.g. a framing error).
    std::uint16_t class_id = 0;
    std::uint16_t method_id = 0;

    bool connection_level() const noexcept { return is_connection_error(code); }
    /// What goes into close.reply-text: "NOT_FOUND - no queue 'q' in vhost '/'", at most 255
    /// bytes (a short string).
    std::string reply_text() const;
};

/// Where a kernel status came from, when the same errc means different things per method
/// (an unknown exchange type is a connection error, a bad queue argument a channel error).
enum class failed_call : std::uint8_t
{
    other,
    exchange_declare,
    queue_declare,
    bind,
    consume,
    publish,
};

/// A kernel status as the AMQP error RabbitMQ would send for it.
amqp_error from_status(const sdk::status& st, failed_call call = failed_call::other);

/// The status the session hands back to the kernel when it closes a connection for `e`.
sdk::status to_status(const amqp_error& e);

} // namespace plexus::protocol::amqp091
