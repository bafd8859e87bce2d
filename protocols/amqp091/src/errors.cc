// Every mapping between the kernel's errors and AMQP reply codes (ARCHITECTURE.md §6: each
// gateway maps errors in one errors.cc).
#include "amqp_error.h"

namespace plexus::protocol::amqp091 {

using sdk::errc;

std::string_view code_name(reply_code code) noexcept
{
    switch (code) {
        case reply_code::success:
            return "OK";
        case reply_code::content_too_large:
            return "CONTENT_TOO_LARGE";
        case reply_code::no_route:
            return "NO_ROUTE";
        case reply_code::no_consumers:
            return "NO_CONSUMERS";
        case reply_code::connection_forced:
            return "CONNECTION_FORCED";
        case reply_code::invalid_path:
            return "INVALID_PATH";
        case reply_code::access_refused:
            return "ACCESS_REFUSED";
        case reply_code::not_found:
            return "NOT_FOUND";
        case reply_code::resource_locked:
            return "RESOURCE_LOCKED";
        case reply_code::precondition_failed:
            return "PRECONDITION_FAILED";
        case reply_code::frame_error:
            return "FRAME_ERROR";
        case reply_code::syntax_error:
            return "SYNTAX_ERROR";
        case reply_code::command_invalid:
            return "COMMAND_INVALID";
        case reply_code::channel_error:
            return "CHANNEL_ERROR";
        case reply_code::unexpected_frame:
            return "UNEXPECTED_FRAME";
        case reply_code::resource_error:
            return "RESOURCE_ERROR";
        case reply_code::not_allowed:
            return "NOT_ALLOWED";
        case reply_code::not_implemented:
            return "NOT_IMPLEMENTED";
        case reply_code::internal_error:
            return "INTERNAL_ERROR";
    }
    return "UNKNOWN";
}

bool is_connection_error(reply_code code) noexcept
{
    const auto c = static_cast<std::uint16_t>(code);
    return c == 320 || c == 402 || c >= 500;
}

std::string amqp_error::reply_text() const
{
    std::string s(code_name(code));
    if (!text.empty()) {
        s += " - ";
        s += text;
    }
    if (s.size() > 255) {
        s.resize(255); // a short string; the full text is in the broker's log
    }
    return s;
}

amqp_error from_status(const sdk::status& st, failed_call call)
{
    amqp_error e;
    e.text = std::string(st.message());
    switch (st.code()) {
        case errc::ok:
            e.code = reply_code::success;
            break;
        case errc::not_found:
            e.code = reply_code::not_found;
            break;
        case errc::already_exists:
        case errc::precondition_failed:
            e.code = reply_code::precondition_failed;
            break;
        case errc::locked:
            e.code = reply_code::resource_locked;
            break;
        case errc::forbidden:
        case errc::unauthenticated:
            e.code = reply_code::access_refused;
            break;
        case errc::invalid_argument:
            // RabbitMQ: an unknown exchange type is a connection error (command-invalid); a
            // bad argument value fails the declaring channel's precondition.
            e.code = call == failed_call::exchange_declare && e.text.starts_with("invalid exchange type")
                       ? reply_code::command_invalid
                       : reply_code::precondition_failed;
            break;
        case errc::not_supported:
            e.code = reply_code::not_implemented;
            break;
        case errc::resource_exhausted:
            e.code = reply_code::resource_error;
            break;
        case errc::protocol_error:
            e.code = reply_code::syntax_error;
            break;
        case errc::unavailable:
        case errc::timed_out:
            // The broker is going away or a destination stopped answering: the channel's
            // request failed, the connection is still sound.
            e.code = call == failed_call::other ? reply_code::connection_forced : reply_code::resource_error;
            break;
        case errc::io_error:
        case errc::corruption:
        case errc::internal:
            e.code = reply_code::internal_error;
            break;
    }
    if (e.text.empty()) {
        e.text = std::string(sdk::to_string(st.code()));
    }
    return e;
}

sdk::status to_status(const amqp_error& e)
{
    errc c = errc::protocol_error;
    switch (e.code) {
        case reply_code::success:
            return {};
        case reply_code::access_refused:
            c = errc::unauthenticated;
            break;
        case reply_code::connection_forced:
            c = errc::unavailable;
            break;
        case reply_code::resource_error:
            c = errc::resource_exhausted;
            break;
        case reply_code::internal_error:
            c = errc::internal;
            break;
        case reply_code::not_allowed:
            c = errc::forbidden;
            break;
        case reply_code::not_implemented:
            c = errc::not_supported;
            break;
        default:
            break;
    }
    return sdk::status(c, "AMQP " + std::to_string(static_cast<std::uint16_t>(e.code)) + " " + e.reply_text());
}

} // namespace plexus::protocol::amqp091
