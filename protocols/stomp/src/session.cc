#include "session.h"

#include "frame_encoder.h"
#include "login.h"
#include "stomp_error.h"

#include <fmt/format.h>

namespace plexus::protocol::stomp {
namespace {

// Frames held behind a busy one, beyond which the client is not playing fair.
constexpr std::size_t max_pending_frames = 100000;
constexpr std::size_t max_pending_bytes = 64u << 20;

constexpr std::string_view server_name = "Plexus/0.1.0";

} // namespace

session::session(sdk::connection& conn, sdk::kernel& k, const gateway_config& config, sdk::logger& log)
  : _conn(conn)
  , _kernel(k)
  , _config(config)
  , _log(log)
  , _alive(std::make_shared<bool>(true))
  , _parser(config.limits)
  , _connection_id(k.next_connection_id())
  , _io(conn, _alive, { [this](sdk::buffer_chain& in) { return process(in); }, [this] { flush(); } })
{
    _handshake_timer = _conn.exec().post_after(_config.handshake_timeout, [this, alive = _alive] {
        if (*alive && _state != state::connected && _state != state::closed) {
            PLEXUS_LOG(_log, info, "connection {}: no CONNECT in time, closing", _conn.peer().address);
            _state = state::closed;
            _io.close_transport(sdk::status(sdk::errc::timed_out, "STOMP handshake timed out"), false);
        }
    });
}

session::~session()
{
    *_alive = false;
    teardown();
}

// ---- input ---------------------------------------------------------------------------------

sdk::status session::on_data(sdk::buffer_chain& in) noexcept
{
    _received_since_tick = true;
    return _io.on_data(in, "stomp session");
}

sdk::status session::process(sdk::buffer_chain& in)
{
    while (_state != state::closed && !_input_error) {
        auto step = _parser.next(in);
        if (std::holds_alternative<std::monostate>(step)) {
            break;
        }
        if (auto* e = std::get_if<frame_error>(&step)) {
            // The stream is out of step; frames before the bad one are still answered first.
            _input_error = std::move(*e);
            in.trim_front(in.size());
            break;
        }
        auto& f = std::get<frame>(step);
        if (_busy || !_pending.empty()) {
            _pending_bytes += f.body.size() + 64;
            _pending.push_back(std::move(f));
            if (_pending.size() > max_pending_frames || _pending_bytes > max_pending_bytes) {
                _input_error = frame_error{ "Too many frames pipelined",
                                            "the client sent more frames than the broker holds while it waits for the "
                                            "kernel" };
                in.trim_front(in.size());
                break;
            }
        } else {
            handle(std::move(f));
        }
    }
    run_pending();
    return {};
}

void session::run_pending()
{
    while (!_busy && _state != state::closed && !_pending.empty()) {
        frame f = std::move(_pending.front());
        _pending.pop_front();
        _pending_bytes -= std::min(_pending_bytes, f.body.size() + 64);
        handle(std::move(f));
    }
    if (!_busy && _pending.empty() && _input_error && _state != state::closed) {
        fail(*_input_error);
    }
}

void session::done()
{
    _busy = false;
    // Inside a pass, process() runs what waits before the pass ends.
    _io.run_pass([this] {
        run_pending();
        return sdk::status();
    });
}

void session::handle(frame&& f)
{
    if (_state == state::closed) {
        return;
    }
    if (f.cmd == command::connected || f.cmd == command::message || f.cmd == command::receipt ||
        f.cmd == command::error) {
        fail({ "Illegal command", std::string(name_of(f.cmd)) + " is a frame only the server sends" }, &f);
        return;
    }
    if (f.cmd == command::connect || f.cmd == command::stomp) {
        if (_state != state::awaiting_connect) {
            fail({ "Illegal command", "the connection is already connected" }, &f);
            return;
        }
        on_connect(std::move(f));
        return;
    }
    if (_state != state::connected) {
        fail({ "Illegal command", "You must log in using CONNECT first" }, &f);
        return;
    }
    switch (f.cmd) {
        case command::send:
            on_send(std::move(f));
            return;
        case command::subscribe:
            on_subscribe(std::move(f));
            return;
        case command::unsubscribe:
            on_unsubscribe(std::move(f));
            return;
        case command::ack:
        case command::nack:
            on_settle(std::move(f));
            return;
        case command::begin:
            on_begin(std::move(f));
            return;
        case command::commit:
            on_commit(std::move(f));
            return;
        case command::abort:
            on_abort(std::move(f));
            return;
        case command::disconnect:
            receipt_for(f);
            _state = state::closed;
            teardown();
            _io.close_transport(sdk::status(sdk::errc::unavailable, "client sent DISCONNECT"));
            return;
        default:
            return;
    }
}

// ---- connecting ----------------------------------------------------------------------------

void session::on_connect(frame&& f)
{
    const auto v = negotiate(f.header("accept-version"));
    if (!v) {
        frame e;
        e.cmd = command::error;
        e.add("version", std::string(supported_versions));
        e.add("content-type", "text/plain");
        const std::string body = "Supported protocol versions are " + std::string(supported_versions);
        e.add("message", body);
        e.add("content-length", std::to_string(body.size()));
        e.body = sdk::buffer_chain::copy_of(body);
        send(std::move(e));
        _state = state::closed;
        _io.close_transport(sdk::status(sdk::errc::protocol_error, "no common STOMP version"));
        return;
    }
    _version = *v;
    // Escaping applies from the next frame on; CONNECT itself is never escaped.
    _parser.set_version(_version);
    if (auto refused = refuse_login(_kernel, f.header("login"), f.header("passcode"), _conn.peer())) {
        PLEXUS_LOG(_log, info, "connection {}: login refused: {}", _conn.peer().address, *refused);
        fail({ "Bad CONNECT", *refused }, &f);
        return;
    }
    _user = f.header("login") != nullptr ? *f.header("login") : std::string(default_user);
    if (_version != version::v1_0) {
        auto hb = negotiate_heart_beat(f.header("heart-beat"), _config.min_heartbeat_ms);
        if (!hb) {
            fail({ "Bad CONNECT", "heart-beat header '" + *f.header("heart-beat") + "' is not two numbers 'cx,cy'" },
                 &f);
            return;
        }
        _heart_beat = *hb;
    }
    if (const auto* host = f.header("host"); host != nullptr && !host->empty()) {
        _vhost = *host;
    }
    _state = state::connecting;
    wait();
    connected(_kernel.check_vhost_access(_user, _vhost));
}

void session::connected(const sdk::status& vhost_check)
{
    if (_state != state::connecting) {
        return;
    }
    if (!vhost_check.ok()) {
        fail(vhost_check.code() == sdk::errc::not_found
               ? frame_error{ "Bad CONNECT", "Virtual host '" + _vhost + "' does not exist" }
               : from_status(vhost_check, "checking virtual host '" + _vhost + "'"));
        done();
        return;
    }
    _state = state::connected;
    _handshake_timer.reset();
    frame c;
    c.cmd = command::connected;
    c.add("version", std::string(to_string(_version)));
    c.add("server", std::string(server_name));
    c.add("session", "session-" + std::to_string(_connection_id));
    if (_version != version::v1_0) {
        c.add("heart-beat", _heart_beat.header());
    }
    send(std::move(c));
    start_heartbeats();
    done();
}

// ---- heart-beats ---------------------------------------------------------------------------

void session::start_heartbeats()
{
    if (_heart_beat.send_ms != 0) {
        _send_timer = _conn.exec().post_after(std::chrono::milliseconds(_heart_beat.send_ms), [this, alive = _alive] {
            if (*alive) {
                heartbeat_send_tick();
            }
        });
    }
    if (_heart_beat.receive_ms != 0) {
        // Ticks at half the interval; four silent ticks in a row (two intervals without a
        // byte from the client) close the connection, as RabbitMQ does.
        _receive_timer = _conn.exec().post_after(
          std::chrono::milliseconds(std::max<std::uint32_t>(_heart_beat.receive_ms / 2, 1)), [this, alive = _alive] {
              if (*alive) {
                  heartbeat_receive_tick();
              }
          });
    }
}

void session::heartbeat_send_tick()
{
    if (_state == state::closed) {
        return;
    }
    if (!_sent_since_tick && _out.empty()) {
        _conn.write(sdk::buffer_chain::copy_of(heartbeat_eol));
    }
    _sent_since_tick = false;
    _send_timer = _conn.exec().post_after(std::chrono::milliseconds(_heart_beat.send_ms), [this, alive = _alive] {
        if (*alive) {
            heartbeat_send_tick();
        }
    });
}

void session::heartbeat_receive_tick()
{
    if (_state == state::closed) {
        return;
    }
    if (_received_since_tick) {
        _silent_ticks = 0;
    } else if (++_silent_ticks >= 4) {
        PLEXUS_LOG(_log,
                   info,
                   "connection {}: no heart-beat from the client for {} ms, closing",
                   _conn.peer().address,
                   2 * _heart_beat.receive_ms);
        _state = state::closed;
        teardown();
        _io.close_transport(sdk::status(sdk::errc::timed_out, "STOMP heart-beat timeout"), false);
        return;
    }
    _received_since_tick = false;
    _receive_timer = _conn.exec().post_after(
      std::chrono::milliseconds(std::max<std::uint32_t>(_heart_beat.receive_ms / 2, 1)), [this, alive = _alive] {
          if (*alive) {
              heartbeat_receive_tick();
          }
      });
}

// ---- output --------------------------------------------------------------------------------

void session::send(frame f)
{
    _out.append(encode(f, _version));
    _io.schedule_flush();
}

void session::receipt_for(const frame& f)
{
    if (const auto* r = f.header("receipt")) {
        receipt(*r);
    }
}

void session::receipt(const std::string& id)
{
    frame r;
    r.cmd = command::receipt;
    r.add("receipt-id", id);
    send(std::move(r));
}

void session::flush()
{
    if (_out.empty()) {
        return;
    }
    _sent_since_tick = true;
    _conn.write(std::exchange(_out, {}));
}

// ---- closing -------------------------------------------------------------------------------

void session::fail(const frame_error& e, const frame* cause)
{
    if (_state == state::closed) {
        return;
    }
    PLEXUS_LOG(_log,
               info,
               "connection {} (user '{}', vhost '{}'): ERROR {}: {}",
               _conn.peer().address,
               _user,
               _vhost,
               e.message,
               e.detail);
    frame err;
    err.cmd = command::error;
    err.add("message", e.message);
    if (cause != nullptr) {
        if (const auto* r = cause->header("receipt")) {
            err.add("receipt-id", *r);
        }
    }
    err.add("content-type", "text/plain");
    err.add("content-length", std::to_string(e.detail.size()));
    err.body = sdk::buffer_chain::copy_of(e.detail);
    send(std::move(err));
    _state = state::closed;
    _pending.clear();
    teardown();
    _io.close_transport(to_status(e));
}

void session::teardown()
{
    // Subscriptions that end requeue what they delivered and was not acked; transactions
    // left open are aborted (their SENDs and ACKs were never applied).
    _transactions.clear();
    _unacked.clear();
    auto subscribers = std::move(_subscribers);
    _subscribers.clear();
    for (auto& [id, s] : subscribers) {
        s->handle.reset();
    }
}

void session::on_writable() noexcept
{
    try {
        if (_paused) {
            _paused = false;
            update_pauses();
        }
    } catch (const std::exception& e) {
        PLEXUS_LOG(_log, error, "connection {}: {}", _conn.peer().address, e.what());
    }
}

void session::on_close(const sdk::status& why) noexcept
{
    try {
        _state = state::closed;
        _send_timer.reset();
        _receive_timer.reset();
        _handshake_timer.reset();
        teardown();
        _kernel.release_connection(_connection_id);
        PLEXUS_LOG(_log, debug, "connection {} closed: {}", _conn.peer().address, why.to_string());
    } catch (const std::exception&) {
        // Nothing left to tell anyone: the connection is gone.
    }
}

} // namespace plexus::protocol::stomp
