#include "websocket_session.h"

#include <exception>

namespace plexus::protocol::websocket {

std::unique_ptr<sdk::protocol_session> new_websocket_session(sdk::connection& conn,
                                                             const session_options& options,
                                                             sdk::logger& log,
                                                             inner_session_maker make_inner) noexcept
{
    try {
        return std::make_unique<websocket_session>(conn, options, log, std::move(make_inner));
    } catch (const std::exception&) {
        return nullptr;
    }
}

websocket_session::websocket_session(sdk::connection& conn,
                                     const session_options& options,
                                     sdk::logger& log,
                                     inner_session_maker make_inner)
  : _conn(conn)
  , _options(options)
  , _log(log)
  , _make_inner(std::move(make_inner))
  , _alive(std::make_shared<bool>(true))
  , _decoder(options.max_message_bytes)
  , _framed(conn, options.data_opcode)
{
    // Closing from the timer is posted: the kernel destroys this session inside close().
    _handshake_timer = _conn.exec().post_after(_options.handshake_timeout, [this, alive = _alive] {
        if (*alive && !_inner) {
            _conn.exec().post([this, alive] {
                if (*alive) {
                    PLEXUS_LOG(_log, debug, "connection {}: no WebSocket upgrade in time", _conn.peer().address);
                    _conn.close(sdk::status(sdk::errc::timed_out, "WebSocket handshake timed out"), false);
                }
            });
        }
    });
}

websocket_session::~websocket_session()
{
    *_alive = false;
}

sdk::status websocket_session::on_data(sdk::buffer_chain& in) noexcept
{
    try {
        if (_framed.close_sent()) {
            in.trim_front(in.size()); // nothing the peer sends after our close frame matters
            return {};
        }
        if (!_inner) {
            auto st = handshake(in);
            if (!st.ok() || !_inner) {
                return st;
            }
        }
        return frames(in);
    } catch (const std::exception&) {
        return fail(close_code::internal_error, "out of memory");
    }
}

void websocket_session::on_writable() noexcept
{
    if (_inner) {
        _inner->on_writable();
    }
}

void websocket_session::on_close(const sdk::status& why) noexcept
{
    _handshake_timer.reset();
    if (_inner) {
        _inner->on_close(why);
    }
}

sdk::status websocket_session::handshake(sdk::buffer_chain& in)
{
    std::string text(std::min(in.size(), _options.max_request_bytes), '\0');
    in.copy_out(0, std::as_writable_bytes(std::span<char>(text.data(), text.size())));
    const auto end = end_of_head(text);
    if (end == std::string::npos) {
        if (in.size() < _options.max_request_bytes) {
            return {}; // the rest of the request is on its way
        }
        const std::string body = "request head larger than " + std::to_string(_options.max_request_bytes) + " bytes\n";
        _conn.write(sdk::buffer_chain::copy_of("HTTP/1.1 431 Request Header Fields Too Large\r\n"
                                               "Content-Type: text/plain\r\nContent-Length: " +
                                               std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body));
        PLEXUS_LOG(_log, debug, "connection {}: WebSocket upgrade request too large", _conn.peer().address);
        return sdk::status(sdk::errc::protocol_error, "WebSocket upgrade request too large");
    }
    auto answer = answer_upgrade(std::string_view(text).substr(0, end), _options.upgrade);
    _conn.write(sdk::buffer_chain::copy_of(answer.response));
    if (answer.status != 101) {
        PLEXUS_LOG(_log,
                   debug,
                   "connection {}: WebSocket upgrade refused ({}): {}",
                   _conn.peer().address,
                   answer.status,
                   answer.reason);
        return sdk::status(sdk::errc::protocol_error, "WebSocket upgrade refused: " + answer.reason);
    }
    _handshake_timer.reset();
    in.trim_front(end);
    _inner = _make_inner(_framed);
    if (!_inner) {
        return fail(close_code::internal_error, "cannot create the session");
    }
    return {};
}

sdk::status websocket_session::frames(sdk::buffer_chain& in)
{
    _decoded.clear();
    auto error = _decoder.decode(in, _decoded);
    bool fresh = false; // payload appended since the inner session last saw _inner_in
    for (auto& d : _decoded) {
        if (auto* payload = std::get_if<sdk::buffer_chain>(&d)) {
            _inner_in.append(*payload);
            fresh = true;
            continue;
        }
        // Data before a control frame reaches the inner session first: a close after a
        // SEND must not lose the SEND.
        if (fresh) {
            fresh = false;
            if (auto st = feed_inner(); !st.ok()) {
                return st;
            }
        }
        auto& c = std::get<decoded_control>(d);
        if (c.op == opcode::ping) {
            _framed.write_control(opcode::pong, c.payload);
        } else if (c.op == opcode::close) {
            auto code = check_close_payload(c.payload);
            if (auto* e = std::get_if<frame_error>(&code)) {
                return fail(e->code, e->reason);
            }
            _framed.send_close(std::get<std::uint16_t>(code), {}); // the echo (§5.5.1)
            return sdk::status(sdk::errc::unavailable, "the client closed the WebSocket");
        }
        // A pong answers nothing we sent (no pings are sent): ignored, as §5.5.3 allows.
    }
    _decoded.clear();
    if (fresh) {
        if (auto st = feed_inner(); !st.ok()) {
            return st;
        }
    }
    if (error) {
        return fail(error->code, std::move(error->reason));
    }
    return {};
}

sdk::status websocket_session::feed_inner()
{
    auto st = _inner->on_data(_inner_in);
    if (!st.ok()) {
        // The inner session wrote its protocol's error; the close frame follows it.
        _framed.send_close(close_code_for(st), st.message());
        return st;
    }
    if (_inner_in.size() > _options.max_message_bytes) {
        return fail(close_code::too_big, "partial frame larger than the message limit");
    }
    return {};
}

sdk::status websocket_session::fail(std::uint16_t code, std::string reason)
{
    PLEXUS_LOG(_log, debug, "connection {}: WebSocket close {}: {}", _conn.peer().address, code, reason);
    _framed.send_close(code, reason);
    auto errc = sdk::errc::protocol_error;
    if (code == close_code::too_big) {
        errc = sdk::errc::resource_exhausted;
    } else if (code == close_code::internal_error) {
        errc = sdk::errc::internal;
    }
    return sdk::status(errc, "WebSocket: " + reason);
}

} // namespace plexus::protocol::websocket
