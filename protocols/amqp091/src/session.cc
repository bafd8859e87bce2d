#include "session.h"

#include "channel.h"
#include "sasl.h"

#include <fmt/format.h>

#include <array>

namespace plexus::protocol::amqp091 {
namespace {

// How long a client has to answer our connection.close with close-ok.
constexpr std::chrono::milliseconds close_ok_timeout{ 2000 };

template<class T>
const T* as(const method& m)
{
    return std::get_if<T>(&m);
}

} // namespace

session::session(sdk::connection& conn, sdk::kernel& k, const gateway_config& config, sdk::logger& log)
  : _conn(conn)
  , _kernel(&k)
  , _config(config)
  , _log(log)
  , _alive(std::make_shared<bool>(true))
  , _io(conn, _alive, { [this](sdk::buffer_chain& in) { return process(in); }, [this] { flush(); } })
  , _connection_id(k.next_connection_id())
  , _follower(conn,
              _alive,
              { [this] { return _state == state::open; },
                [this] { return can_follow(); },
                [this] { return idle_here(); },
                [this] {
                    _heartbeat_timer.reset();
                    _alarm_watch.reset();
                },
                [this] {
                    watch_alarms();
                    start_heartbeats();
                } },
              config.follow_queue_shard)
{
    _handshake_timer = _conn.exec().post_after(_config.handshake_timeout, [this, alive = _alive] {
        if (*alive && _state != state::open && _state != state::closed) {
            PLEXUS_LOG(_log, info, "connection {}: handshake not completed in time, closing", _conn.peer().address);
            _state = state::closed;
            _io.close_transport(sdk::status(sdk::errc::timed_out, "AMQP handshake timed out"), false);
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
    return _io.on_data(in, "amqp091 session");
}

sdk::status session::process(sdk::buffer_chain& in)
{
    if (_follower.moving()) {
        return {}; // kept unconsumed: the connection offers it again on the new shard
    }
    if (_state == state::awaiting_header) {
        if (auto st = read_protocol_header(in); !st.ok() || _state == state::awaiting_header) {
            return st;
        }
    }
    while (_state != state::closed && !_io.close_requested()) {
        auto step = next_frame(in, _frame_max_in);
        if (std::holds_alternative<std::monostate>(step)) {
            break;
        }
        if (auto* e = std::get_if<amqp_error>(&step)) {
            // The stream is out of step: nothing after this frame can be read, so the socket
            // closes as soon as connection.close is out.
            connection_error(std::move(*e)); // frame-error: closes once the frame is out
            in.trim_front(in.size());
            return sdk::status(sdk::errc::protocol_error, "AMQP framing error");
        }
        handle_frame(std::move(std::get<frame>(step)));
    }
    return {};
}

sdk::status session::read_protocol_header(sdk::buffer_chain& in)
{
    std::array<std::byte, 8> got{};
    const std::size_t n = in.copy_out(0, got);
    const std::string_view seen(reinterpret_cast<const char*>(got.data()), n);
    if (seen != protocol_header.substr(0, n)) {
        // Spec §4.2.2: answer a header we do not speak with the one we do, then close.
        _out.raw(protocol_header);
        _state = state::closed;
        in.trim_front(in.size());
        return sdk::status(sdk::errc::protocol_error, "not an AMQP 0-9-1 protocol header");
    }
    if (n < protocol_header.size()) {
        return {}; // the rest of the header is still on its way
    }
    in.trim_front(protocol_header.size());
    connection_start start;
    start.server_properties = server_properties();
    start.mechanisms = std::string(supported_mechanisms);
    send(0, start);
    _state = state::awaiting_start_ok;
    return {};
}

void session::handle_frame(frame f)
{
    if (_state == state::closing) {
        handle_closing(f);
        return;
    }
    switch (f.type) {
        case frame_type::heartbeat:
            if (f.channel != 0) {
                connection_error({ reply_code::frame_error,
                                   "heartbeat frame on channel " + std::to_string(f.channel) + " (must be 0)",
                                   0,
                                   0 });
            }
            return;
        case frame_type::method: {
            std::string scratch;
            auto decoded = decode_method(contiguous(f.payload, scratch));
            if (auto* e = std::get_if<amqp_error>(&decoded)) {
                connection_error(std::move(*e));
                return;
            }
            auto& m = std::get<method>(decoded);
            if (f.channel == 0) {
                handle_connection_method(std::move(m));
            } else {
                handle_channel_method(f.channel, std::move(m));
            }
            return;
        }
        case frame_type::header:
        case frame_type::body:
            handle_content_frame(f);
            return;
    }
}

void session::handle_closing(const frame& f)
{
    // Spec §2.2.4: after sending close, discard everything but close and close-ok.
    if (f.type != frame_type::method || f.channel != 0) {
        return;
    }
    std::string scratch;
    auto decoded = decode_method(contiguous(f.payload, scratch));
    if (auto* m = std::get_if<method>(&decoded)) {
        if (as<connection_close>(*m)) {
            send(0, connection_close_ok{});
        }
        if (as<connection_close>(*m) || as<connection_close_ok>(*m)) {
            _state = state::closed;
            _io.close_transport(sdk::status(sdk::errc::unavailable, "AMQP connection closed"));
        }
    }
}

void session::handle_connection_method(method&& m)
{
    const auto id = id_of(m);
    auto unexpected = [&](std::string_view expected) {
        connection_error({ reply_code::command_invalid,
                           fmt::format("expected {}, got {} on channel 0", expected, name_of(m)),
                           id.class_id,
                           id.method });
    };
    if (id.class_id != class_ids::connection) {
        connection_error({ reply_code::command_invalid,
                           fmt::format("{} on channel 0 (only connection methods are allowed there)", name_of(m)),
                           id.class_id,
                           id.method });
        return;
    }
    switch (_state) {
        case state::awaiting_start_ok:
            if (auto* s = std::get_if<connection_start_ok>(&m)) {
                on_start_ok(std::move(*s));
            } else {
                unexpected("connection.start-ok");
            }
            return;
        case state::awaiting_tune_ok:
            if (auto* t = as<connection_tune_ok>(m)) {
                on_tune_ok(*t);
            } else {
                unexpected("connection.tune-ok");
            }
            return;
        case state::awaiting_open:
            if (auto* o = std::get_if<connection_open>(&m)) {
                on_open(std::move(*o));
            } else {
                unexpected("connection.open");
            }
            return;
        case state::open:
            break;
        default:
            return;
    }
    if (auto* c = as<connection_close>(m)) {
        PLEXUS_LOG(
          _log, debug, "connection {}: client closed: {} {}", _conn.peer().address, c->reply_code, c->reply_text);
        schedule_teardown();
        send(0, connection_close_ok{});
        _state = state::closed;
        _io.close_transport(sdk::status(sdk::errc::unavailable, "client closed the AMQP connection"));
    } else if (as<connection_update_secret>(m)) {
        // The gateway's credentials never expire, so a new secret changes nothing.
        send(0, connection_update_secret_ok{});
    } else if (as<connection_blocked>(m) || as<connection_unblocked>(m)) {
        // Only servers send these; a client that does is ignored, as RabbitMQ does.
    } else {
        unexpected("connection.close");
    }
}

void session::handle_channel_method(std::uint16_t number, method&& m)
{
    const auto id = id_of(m);
    if (_state != state::open) {
        connection_error({ reply_code::command_invalid,
                           fmt::format("{} on channel {} before the connection is open", name_of(m), number),
                           id.class_id,
                           id.method });
        return;
    }
    if (number > _channel_max) {
        connection_error({ reply_code::not_allowed,
                           fmt::format("channel {} exceeds the negotiated channel-max {}", number, _channel_max),
                           id.class_id,
                           id.method });
        return;
    }
    if (id.class_id == class_ids::connection) {
        connection_error({ reply_code::command_invalid,
                           fmt::format("{} on channel {} (connection methods belong on channel 0)", name_of(m), number),
                           id.class_id,
                           id.method });
        return;
    }
    auto it = _channels.find(number);
    if (it == _channels.end()) {
        if (!as<channel_open>(m)) {
            connection_error({ reply_code::channel_error,
                               fmt::format("expected 'channel.open' on channel {}, got '{}'", number, name_of(m)),
                               id.class_id,
                               id.method });
            return;
        }
        _channels.emplace(number, std::make_shared<channel>(*this, number));
        send(number, channel_open_ok{});
        return;
    }
    if (as<channel_open>(m)) {
        connection_error({ reply_code::channel_error,
                           fmt::format("second 'channel.open' seen on channel {}", number),
                           id.class_id,
                           id.method });
        return;
    }
    auto ch = it->second; // the channel may ask to be forgotten while handling
    ch->on_method(std::move(m));
    if (ch->finished()) {
        _channels.erase(number);
    }
}

void session::handle_content_frame(const frame& f)
{
    auto it = _state == state::open ? _channels.find(f.channel) : _channels.end();
    if (it == _channels.end()) {
        connection_error({ reply_code::channel_error,
                           fmt::format("content frame on channel {}, which is not open", f.channel),
                           0,
                           0 });
        return;
    }
    if (f.type == frame_type::header) {
        it->second->on_content_header(f.payload);
    } else {
        it->second->on_content_body(f.payload);
    }
}

// ---- handshake -----------------------------------------------------------------------------

void session::on_start_ok(connection_start_ok&& m)
{
    _client = read_capabilities(m.client_properties);
    auto parsed = parse_response(m.mechanism, m.response);
    std::optional<amqp_error> refused;
    if (auto* e = std::get_if<amqp_error>(&parsed)) {
        refused = std::move(*e);
    } else {
        auto& c = std::get<credentials>(parsed);
        std::string why;
        refused = authenticate(*_kernel, c, m.mechanism, _conn.peer(), why);
        if (!refused) {
            _user = c.user;
        } else {
            PLEXUS_LOG(_log,
                       info,
                       "connection {}: login of user '{}' with {} refused: {}",
                       _conn.peer().address,
                       c.user,
                       m.mechanism,
                       why);
        }
    }
    if (refused) {
        connection_error(std::move(*refused));
        _state = state::closed;
        _io.close_transport(sdk::status(sdk::errc::unauthenticated, "AMQP login refused"));
        return;
    }
    send(0, connection_tune{ _config.channel_max, _config.frame_max, _config.heartbeat_seconds });
    _state = state::awaiting_tune_ok;
}

void session::on_tune_ok(const connection_tune_ok& m)
{
    auto refuse = [&](std::string text) {
        connection_error(
          { reply_code::not_allowed, std::move(text), connection_tune_ok::id.class_id, connection_tune_ok::id.method });
    };
    if (m.channel_max > _config.channel_max) {
        refuse(fmt::format("negotiated channel_max = {} is higher than the maximum allowed value ({})",
                           m.channel_max,
                           _config.channel_max));
        return;
    }
    if (m.frame_max != 0 && m.frame_max < frame_min_size) {
        refuse(fmt::format("frame_max = {} is below the minimum frame size {}", m.frame_max, frame_min_size));
        return;
    }
    if (m.frame_max > _config.frame_max) {
        refuse(fmt::format(
          "negotiated frame_max = {} is higher than the maximum allowed value ({})", m.frame_max, _config.frame_max));
        return;
    }
    // 0 means "no limit" from the client; ours still holds in both directions.
    _channel_max = m.channel_max == 0 ? _config.channel_max : m.channel_max;
    const std::uint32_t frame_max = m.frame_max == 0 ? _config.frame_max : m.frame_max;
    _frame_max_in = frame_max;
    _out.set_frame_max(frame_max);
    _heartbeat = m.heartbeat;
    start_heartbeats();
    _state = state::awaiting_open;
}

void session::on_open(connection_open&& m)
{
    _vhost = m.virtual_host.empty() ? "/" : m.virtual_host;
    _state = state::opening;
    opened(_kernel->check_vhost_access(_user, _vhost));
}

void session::opened(const sdk::status& vhost_check)
{
    if (_state != state::opening) {
        return;
    }
    if (!vhost_check.ok()) {
        // RabbitMQ answers both with 530 NOT_ALLOWED.
        amqp_error e = vhost_check.code() == sdk::errc::not_found
                         ? amqp_error{ reply_code::not_allowed, "vhost " + _vhost + " not found", 10, 40 }
                         : amqp_error{ reply_code::not_allowed, std::string(vhost_check.message()), 10, 40 };
        e.class_id = connection_open::id.class_id;
        e.method_id = connection_open::id.method;
        // Closing first: what the client pipelined behind connection.open is then discarded.
        connection_error(std::move(e));
        return;
    }
    _state = state::open;
    _handshake_timer.reset();
    send(0, connection_open_ok{});
    watch_alarms();
}

void session::watch_alarms()
{
    _alarm_watch = _kernel->watch_alarms([this, alive = _alive](sdk::resource_alarms alarms) {
        if (*alive) {
            on_alarms(alarms);
        }
    });
    on_alarms(_kernel->alarms());
}

void session::on_alarms(const sdk::resource_alarms& alarms)
{
    _alarm_raised = alarms.any();
    if (!_alarm_raised && _blocked) {
        _blocked = false;
        send(0, connection_unblocked{});
    }
}

void session::publishing()
{
    // As RabbitMQ: a connection is blocked by its first publish under an alarm, so that
    // connections that only consume are never told to stop.
    if (_alarm_raised && !_blocked && _client.connection_blocked) {
        _blocked = true;
        send(0, connection_blocked{ "low on disk" }); // RabbitMQ's reason for its disk alarm
    }
}

void session::publish_refused(std::uint16_t channel, const sdk::status& why)
{
    const auto now = std::chrono::steady_clock::now();
    if (_refused_unlogged > 0 && now - _refused_logged_at < std::chrono::seconds(10)) {
        ++_refused_unlogged;
        return;
    }
    PLEXUS_LOG(_log,
               warn,
               "connection {} channel {}: a publish without confirms was refused: {}{}",
               _conn.peer().address,
               channel,
               why.to_string(),
               _refused_unlogged > 1 ? fmt::format(" ({} more since the last report)", _refused_unlogged - 1)
                                     : std::string());
    _refused_unlogged = 1;
    _refused_logged_at = now;
}

// ---- heartbeats ----------------------------------------------------------------------------

void session::start_heartbeats()
{
    if (_heartbeat == 0) {
        return;
    }
    // Ticks at half the interval: a heartbeat goes out when nothing else did during a tick,
    // so the peer hears from us at least once per interval; two silent intervals (four
    // ticks) from the peer close the connection (spec §4.2.7).
    const auto half = std::chrono::milliseconds(_heartbeat * 500);
    _heartbeat_timer = _conn.exec().post_after(half, [this, alive = _alive] {
        if (*alive) {
            heartbeat_tick();
        }
    });
}

void session::heartbeat_tick()
{
    if (_state == state::closed) {
        return;
    }
    if (_received_since_tick) {
        _silent_ticks = 0;
    } else if (++_silent_ticks >= 4) {
        PLEXUS_LOG(
          _log, info, "connection {}: missed heartbeats from client, timeout: {}s", _conn.peer().address, _heartbeat);
        _state = state::closed;
        _io.close_transport(sdk::status(sdk::errc::timed_out, "AMQP heartbeat timeout"), false);
        return;
    }
    _received_since_tick = false;
    if (!_sent_since_tick) {
        _out.heartbeat();
        flush();
    }
    _sent_since_tick = false;
    start_heartbeats();
}

// ---- output --------------------------------------------------------------------------------

void session::send(std::uint16_t channel, const method& m)
{
    _out.method(channel, m);
    _io.schedule_flush();
}

void session::send_content(std::uint16_t channel,
                           const method& m,
                           const basic_properties& properties,
                           const sdk::buffer_chain& body)
{
    _out.content(channel, m, properties, body);
    _io.schedule_flush();
}

void session::flush()
{
    if (_out.empty()) {
        return;
    }
    _sent_since_tick = true;
    _conn.write(_out.take());
}

// ---- closing -------------------------------------------------------------------------------

void session::connection_error(amqp_error e)
{
    if (_state == state::closing || _state == state::closed) {
        return;
    }
    PLEXUS_LOG(_log,
               info,
               "connection {} (user '{}', vhost '{}'): closing with {} {}{}",
               _conn.peer().address,
               _user,
               _vhost,
               static_cast<std::uint16_t>(e.code),
               e.reply_text(),
               e.class_id != 0 ? " in " + describe(method_id{ e.class_id, e.method_id }) : std::string());
    schedule_teardown();
    connection_close c;
    c.reply_code = static_cast<std::uint16_t>(e.code);
    c.reply_text = e.reply_text();
    c.class_id = e.class_id;
    c.method_id = e.method_id;
    send(0, c);
    if (e.code == reply_code::frame_error) {
        // The input cannot be trusted after a frame that did not decode: no close-ok wait.
        _state = state::closed;
        _io.close_transport(sdk::status(sdk::errc::protocol_error, "AMQP frame error"));
        return;
    }
    _state = state::closing;
    _close_timer = _conn.exec().post_after(close_ok_timeout, [this, alive = _alive] {
        if (*alive && _state == state::closing) {
            _state = state::closed;
            _io.close_transport(sdk::status(sdk::errc::timed_out, "no connection.close-ok from the client"), false);
        }
    });
}

void session::schedule_teardown()
{
    _conn.exec().post([this, alive = _alive] {
        if (*alive) {
            teardown();
        }
    });
}

void session::teardown()
{
    auto channels = std::move(_channels);
    _channels.clear();
    for (auto& [n, ch] : channels) {
        ch->shutdown();
    }
}

void session::deliveries_written()
{
    flush();
    if (!_consumers_paused && !writable()) {
        _consumers_paused = true;
        for (auto& [n, ch] : _channels) {
            ch->update_pauses();
        }
    }
}

void session::on_writable() noexcept
{
    try {
        if (!_consumers_paused) {
            return;
        }
        _consumers_paused = false;
        for (auto& [n, ch] : _channels) {
            ch->on_writable();
        }
    } catch (const std::exception& e) {
        PLEXUS_LOG(_log, error, "connection {}: {}", _conn.peer().address, e.what());
    }
}

void session::on_close(const sdk::status& why) noexcept
{
    try {
        _state = state::closed;
        _alarm_watch.reset();
        _heartbeat_timer.reset();
        _handshake_timer.reset();
        _close_timer.reset();
        teardown();
        _kernel->release_connection(_connection_id);
        PLEXUS_LOG(_log, debug, "connection {} closed: {}", _conn.peer().address, why.to_string());
    } catch (const std::exception&) {
        // Nothing left to tell anyone: the connection is gone.
    }
}

} // namespace plexus::protocol::amqp091
