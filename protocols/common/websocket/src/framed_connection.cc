#include "framed_connection.h"

#include <exception>

namespace plexus::protocol::websocket {

std::uint16_t close_code_for(const sdk::status& why) noexcept
{
    switch (why.code()) {
        case sdk::errc::ok:
        case sdk::errc::unavailable: // a normal end: DISCONNECT, takeover, shutdown
            return close_code::normal;
        case sdk::errc::timed_out:
            return close_code::going_away;
        case sdk::errc::unauthenticated:
        case sdk::errc::forbidden:
            return close_code::policy_violation;
        case sdk::errc::resource_exhausted:
            return close_code::too_big;
        case sdk::errc::internal:
        case sdk::errc::io_error:
        case sdk::errc::corruption:
            return close_code::internal_error;
        default:
            return close_code::protocol_error;
    }
}

void framed_connection::write(sdk::buffer_chain data) noexcept
{
    if (_close_sent || data.empty()) {
        return;
    }
    try {
        data.prepend(encode_header(_data_opcode, true, data.size()));
        _conn.write(std::move(data));
    } catch (const std::exception&) {
        // Out of memory for a 10-byte header: the message is lost, so is the connection.
        _conn.close(sdk::status(sdk::errc::resource_exhausted, "out of memory framing a WebSocket message"), false);
    }
}

void framed_connection::close(const sdk::status& why, bool flush) noexcept
{
    send_close(close_code_for(why), why.ok() ? std::string_view() : why.message());
    _conn.close(why, flush); // may destroy *this: nothing after it
}

void framed_connection::write_control(opcode op, std::string_view payload) noexcept
{
    if (_close_sent) {
        return;
    }
    try {
        _conn.write(control_frame(op, payload));
    } catch (const std::exception&) {
        _conn.close(sdk::status(sdk::errc::resource_exhausted, "out of memory writing a WebSocket control frame"),
                    false);
    }
}

void framed_connection::send_close(std::uint16_t code, std::string_view reason) noexcept
{
    if (_close_sent) {
        return;
    }
    _close_sent = true;
    try {
        _conn.write(close_frame(code, reason));
    } catch (const std::exception&) {
        // The TCP close that follows tells the client as much.
    }
}

} // namespace plexus::protocol::websocket
