#include "session.h"

#include "credentials.h"
#include "owner_link.h"
#include "message_mapping.h"

#include <fmt/format.h>

#include <array>

namespace plexus::protocol::mqtt {
namespace {

// Input held while the session's queue is set up, beyond which the client is not playing fair.
constexpr std::size_t max_held_bytes = 16u << 20;
constexpr std::uint32_t never_expires = 0xFFFFFFFF;

/// A CONNECT that did not decode: was it v5? (Then the refusal is a v5 CONNACK.)
bool looks_like_v5(const raw_packet& raw)
{
    std::array<std::byte, 7> head{};
    if (raw.body.copy_out(0, head) != head.size()) {
        return false;
    }
    const std::string_view s(reinterpret_cast<const char*>(head.data()), head.size());
    return s == std::string_view("\x00\x04MQTT\x05", 7);
}

std::string session_queue_name(const std::string& client_id)
{
    return "mqtt-session." + client_id;
}

} // namespace

session::session(sdk::connection& conn, sdk::kernel& k, listener_shared& shared, sdk::logger& log)
  : _conn(conn)
  , _kernel(&k)
  , _shared(shared)
  , _config(shared.config)
  , _log(log)
  , _alive(std::make_shared<bool>(true))
  , _connection_id(k.next_connection_id())
  , _vhost(shared.config.vhost)
  , _io(conn,
        _alive,
        { [this](sdk::buffer_chain& in) { return process(in); }, [this] { flush(); } },
        { max_held_bytes, "too much input before CONNACK" })
  , _last_received(std::chrono::steady_clock::now())
  , _follower(conn,
              _alive,
              { [this] { return _state == state::connected; },
                [this] { return can_follow(); },
                [this] { return idle_here(); },
                [this] { leave_shard(); },
                [this] { arrive_on_shard(); } },
              shared.config.follow_queue_shard)
{
    _owner = std::make_shared<owner_link>([this] { taken_over(); }, _alive, _conn.exec());
    _connect_timer = _conn.exec().post_after(_config.connect_timeout, [this, alive = _alive] {
        if (*alive && (_state == state::awaiting_connect || _state == state::connecting)) {
            PLEXUS_LOG(_log, info, "connection {}: no CONNECT in time, closing", _conn.peer().address);
            _state = state::closed;
            _publish_will = false;
            _io.close_transport(sdk::status(sdk::errc::timed_out, "MQTT CONNECT timed out"), false);
        }
    });
}

session::~session()
{
    *_alive = false;
    teardown();
}

sdk::timestamp_ms session::now() const noexcept
{
    return sdk::timestamp_ms(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count());
}

// ---- input ---------------------------------------------------------------------------------

sdk::status session::on_data(sdk::buffer_chain& in) noexcept
{
    return _io.on_data(in, "mqtt session");
}

sdk::status session::process(sdk::buffer_chain& in)
{
    // While moving, what is left of `in` stays unconsumed: the kernel offers it again on
    // the new shard.
    while (!_io.holding() && !_follower.moving() && _state != state::closed && !_io.close_requested()) {
        auto step = next_packet(in, _config.max_packet_size);
        if (std::holds_alternative<std::monostate>(step)) {
            break;
        }
        _last_received = std::chrono::steady_clock::now();
        if (auto* e = std::get_if<decode_error>(&step)) {
            in.trim_front(in.size()); // the stream is out of step: nothing after this can be read
            fail(e->code, std::move(e->text));
            break;
        }
        auto& raw = std::get<raw_packet>(step);
        sys_counters::bump(_shared.counters.packets_received);
        if (_state == state::awaiting_connect) {
            auto d = decode_connect(raw);
            if (auto* e = std::get_if<decode_error>(&d)) {
                in.trim_front(in.size());
                if (raw.type() != packet_type::connect) {
                    // Spec §3.1: the first packet must be CONNECT; there is nobody to tell.
                    PLEXUS_LOG(_log, info, "connection {}: {}, closing", _conn.peer().address, e->text);
                    _state = state::closed;
                    _publish_will = false;
                    _io.close_transport(sdk::status(sdk::errc::protocol_error, e->text));
                } else {
                    _version = looks_like_v5(raw) ? protocol_version::v5 : protocol_version::v311;
                    refuse_connect(e->code, std::move(e->text));
                }
                break;
            }
            on_connect(std::get<connect_packet>(std::get<packet>(std::move(d))));
            continue;
        }
        auto d = decode_packet(raw, _version);
        if (auto* e = std::get_if<decode_error>(&d)) {
            in.trim_front(in.size());
            fail(e->code, std::move(e->text));
            break;
        }
        handle(std::get<packet>(std::move(d)));
    }
    _io.keep_if_holding(in);
    return {};
}

void session::handle(packet&& p)
{
    if (auto* pub = std::get_if<publish_packet>(&p)) {
        on_publish(std::move(*pub));
    } else if (auto* a = std::get_if<ack_packet>(&p)) {
        switch (a->type) {
            case packet_type::puback:
                on_puback(*a);
                break;
            case packet_type::pubrec:
                on_pubrec(*a);
                break;
            case packet_type::pubrel:
                on_pubrel(*a);
                break;
            default:
                on_pubcomp(*a);
                break;
        }
    } else if (auto* s = std::get_if<subscribe_packet>(&p)) {
        on_subscribe(std::move(*s));
    } else if (auto* u = std::get_if<unsubscribe_packet>(&p)) {
        on_unsubscribe(std::move(*u));
    } else if (std::holds_alternative<pingreq_packet>(p)) {
        send(pingresp_packet{});
    } else if (auto* d = std::get_if<disconnect_packet>(&p)) {
        on_disconnect(*d);
    } else if (std::holds_alternative<auth_packet>(p)) {
        // Enhanced authentication is not supported: CONNECT named no method, so AUTH is a
        // protocol error (spec 5.0 §4.12).
        fail(reason_code::protocol_error, "AUTH without an authentication method in CONNECT");
    } else {
        fail(reason_code::protocol_error, "a packet only servers send");
    }
}

// ---- CONNECT -------------------------------------------------------------------------------

void session::on_connect(connect_packet&& c)
{
    _version = c.version == protocol_version::v5 ? protocol_version::v5 : protocol_version::v311;
    _keep_alive = c.keep_alive;
    const std::uint16_t max_keep_alive = _config.max_keep_alive;
    if (max_keep_alive < 0xFFFF && (_keep_alive == 0 || _keep_alive > max_keep_alive)) {
        if (v5()) {
            // Spec 5.0 §3.2.2.3.14: the server's keep-alive, sent in CONNACK, is what counts.
            _keep_alive = max_keep_alive;
            _server_keep_alive = true;
        } else if (_keep_alive > max_keep_alive) {
            // 3.1.1 cannot be told another keep-alive: refused as Mosquitto does.
            refuse_connect(
              reason_code::client_identifier_not_valid,
              fmt::format("keep-alive {} s above the listener's maximum of {} s", c.keep_alive, max_keep_alive));
            return;
        }
    }
    if (v5()) {
        if (c.props.authentication_method) {
            refuse_connect(reason_code::bad_authentication_method,
                           "enhanced authentication ('" + *c.props.authentication_method + "') is not supported");
            return;
        }
        _client_receive_maximum = c.props.receive_maximum.value_or(65535);
        _client_max_packet_size = c.props.maximum_packet_size.value_or(_client_max_packet_size);
        _outbound_aliases = outbound_topic_aliases(
          std::min(c.props.topic_alias_maximum.value_or(0), _config.outbound_topic_alias_maximum));
        _session_expiry = c.props.session_expiry_interval.value_or(0);
    } else {
        _session_expiry = c.clean_start ? 0 : never_expires;
    }
    if (auto r = authenticate(*_kernel, c.username, c.password, _conn.peer(), _config); r != reason_code::success) {
        PLEXUS_LOG(_log,
                   info,
                   "connection {}: login of '{}' refused: {}",
                   _conn.peer().address,
                   c.username.value_or("(anonymous)"),
                   describe(r));
        refuse_connect(r, "login refused");
        return;
    }
    if (c.username) {
        if (auto access = _kernel->check_vhost_access(*c.username, _vhost); !access.ok()) {
            PLEXUS_LOG(_log,
                       info,
                       "connection {}: '{}' may not use vhost '{}': {}",
                       _conn.peer().address,
                       *c.username,
                       _vhost,
                       access.to_string());
            refuse_connect(reason_code::not_authorized, "no access to vhost '" + _vhost + "'");
            return;
        }
    }
    bool assigned = false;
    if (c.client_id.empty()) {
        if (!v5() && !c.clean_start) {
            // 3.1.1 §3.1.3.1: an empty id needs clean session 1.
            refuse_connect(reason_code::client_identifier_not_valid, "empty client id without clean session");
            return;
        }
        c.client_id = fmt::format("plexus-{}-{}", _connection_id, _shared.assigned_ids.fetch_add(1) + 1);
        assigned = true;
    }
    _client_id = std::move(c.client_id);
    _will = std::move(c.will);
    _state = state::connecting;
    _io.hold(true);

    auto claim = _shared.sessions.take(_client_id, _conn.exec(), _owner);
    if (claim.previous_shard != nullptr) {
        claim.previous_shard->post([previous = claim.previous, shard = claim.previous_shard] {
            if (auto o = previous.lock()) {
                o->taken_over(*shard);
            }
        });
    }
    auto existing = claim.state;
    if (existing) {
        std::lock_guard lock(existing->mutex);
        ++existing->generation;
        if (existing->timer_shard != nullptr) {
            // The offline timers belong to the shard that armed them (a new connection before
            // the will delay has passed also cancels the will, spec 5.0 §3.1.3.2.2).
            existing->timer_shard->post([st = existing] {
                std::lock_guard l(st->mutex);
                st->expiry_timer.reset();
                st->will_timer.reset();
                st->timer_shard = nullptr;
            });
        }
    }
    // A session this clean start ends: its group memberships go before CONNACK (below).
    std::shared_ptr<session_state> ended;
    if (existing && (c.clean_start || existing->queue.empty())) {
        // The session ends here (a clean start, or a clean session another connection still
        // holds): so do its memberships of shared subscription groups.
        if (c.clean_start) {
            ended = existing;
        } else {
            _shared.gateway->leave_groups(*_kernel, _vhost, *existing);
        }
        if (existing->queue.empty()) {
            existing.reset(); // nothing to resume
        }
    }
    _assigned_id = assigned;
    const bool persistent = _session_expiry > 0;
    if (!c.clean_start && existing) {
        _session = existing;
        {
            std::lock_guard lock(_session->mutex);
            _generation = _session->generation;
            _session->persistent = persistent;
            _session->expiry_seconds = _session_expiry;
        }
        _shared.sessions.keep(_client_id, _session);
        open_session(true);
        return;
    }
    _session = std::make_shared<session_state>(_client_id);
    _session->persistent = persistent;
    _session->expiry_seconds = _session_expiry;
    _generation = _session->generation;
    if (persistent) {
        _session->queue = session_queue_name(_client_id);
    }
    _shared.sessions.keep(_client_id, _session);
    const std::string name = session_queue_name(_client_id);
    if (c.clean_start) {
        // Whatever a previous session left (also one from before a restart) goes, its queue
        // and the group queues it was the last member of, before CONNACK: a publish the client
        // (or anyone) makes after it must not reach them.
        _shared.session_records.remove(_vhost, _client_id);
        auto left = std::make_shared<unsigned>(ended ? 2 : 1);
        auto gone = [this, alive = _alive, left] {
            if (--*left == 0 && *alive && _state == state::connecting) {
                open_session(false);
            }
        };
        if (ended) {
            _shared.gateway->leave_groups(*_kernel, _vhost, *ended, gone);
        }
        _kernel->delete_queue(_vhost, name, false, false, [gone](sdk::result<std::uint64_t>) { gone(); });
        return;
    }
    // Resuming a session this process does not know: its durable queue may have survived a
    // restart.
    sdk::queue_spec probe;
    probe.vhost = _vhost;
    probe.name = name;
    probe.passive = true;
    _kernel->declare_queue(probe, [this, alive = _alive, name](sdk::result<sdk::queue_info> r) {
        if (!*alive || _state != state::connecting) {
            return;
        }
        if (r.ok()) {
            std::lock_guard lock(_session->mutex);
            _session->queue = name;
            _session->restored = true;
        }
        open_session(r.ok());
    });
}

void session::open_session(bool session_present)
{
    std::string queue;
    {
        std::lock_guard lock(_session->mutex);
        queue = _session->queue;
    }
    if (queue.empty()) {
        connected(session_present);
        return;
    }
    sdk::queue_spec spec;
    spec.vhost = _vhost;
    spec.name = queue;
    spec.durable = true;
    _kernel->declare_queue(spec, [this, alive = _alive, queue, session_present](sdk::result<sdk::queue_info> r) {
        if (!*alive || _state != state::connecting) {
            return;
        }
        if (!r.ok()) {
            PLEXUS_LOG(_log, warn, "client '{}': session queue: {}", _client_id, r.error().to_string());
            refuse_connect(r.error().code() == sdk::errc::invalid_argument ? reason_code::client_identifier_not_valid
                                                                           : reason_code::server_unavailable,
                           "session queue: " + r.error().to_string());
            return;
        }
        consume(queue, std::string(), [this, alive = _alive, session_present](sdk::status st) {
            if (!*alive || _state != state::connecting) {
                return;
            }
            if (!st.ok()) {
                refuse_connect(reason_code::server_unavailable, "session queue: " + st.to_string());
                return;
            }
            connected(session_present);
            if (session_present) {
                rejoin_groups();
            }
        });
    });
}

void session::connected(bool session_present)
{
    _state = state::connected;
    _connect_timer.reset();
    _shared.counters.clients_connected.fetch_add(1, std::memory_order_relaxed);
    _counted_connected = true;
    persist(); // a persistent session's expiry as this CONNECT set it, and online now
    connack_packet ack;
    ack.session_present = session_present;
    if (v5()) {
        auto& p = ack.props;
        p.receive_maximum = _config.receive_maximum;
        p.maximum_packet_size = _config.max_packet_size;
        p.topic_alias_maximum = _config.topic_alias_maximum;
        p.retain_available = 1;
        p.wildcard_subscription_available = 1;
        p.subscription_identifier_available = 1;
        p.shared_subscription_available = 1;
        if (_server_keep_alive) {
            p.server_keep_alive = _keep_alive;
        }
        // Maximum QoS is left out: absent means 2 (the property may only say 0 or 1).
        if (_assigned_id) {
            p.assigned_client_identifier = _client_id;
        }
    }
    send(ack);
    PLEXUS_LOG(_log,
               debug,
               "connection {}: client '{}' connected (MQTT {}, session present {}, session expiry {})",
               _conn.peer().address,
               _client_id,
               v5() ? "5.0" : "3.1.1",
               session_present,
               _session_expiry == never_expires ? std::string("never") : fmt::format("{} s", _session_expiry));
    start_keep_alive();
    resend_releases();
    for (auto& [from, d] : std::exchange(_before_connack, {})) {
        std::vector<sdk::delivery> one;
        one.push_back(std::move(d));
        deliver(*from, std::move(one));
    }
    _io.hold(false);
}

void session::refuse_connect(reason_code why, std::string text)
{
    PLEXUS_LOG(_log, info, "connection {}: CONNECT refused with {}: {}", _conn.peer().address, describe(why), text);
    // 3.1.1 has CONNACK return codes for a refused login, id or version only; anything
    // malformed is answered by closing (3.1.1 §3.1.4).
    const bool has_return_code =
      v5() || (why != reason_code::malformed_packet && why != reason_code::protocol_error &&
               why != reason_code::topic_name_invalid && why != reason_code::packet_too_large);
    if (has_return_code) {
        connack_packet ack;
        ack.reason = why;
        if (v5()) {
            ack.props.reason_string = text;
        }
        send(ack);
    }
    _state = state::closed;
    _publish_will = false;
    _io.close_transport(sdk::status(sdk::errc::unauthenticated, "MQTT CONNECT refused: " + text));
}

// ---- keep-alive ----------------------------------------------------------------------------

void session::start_keep_alive()
{
    if (_keep_alive == 0) {
        return;
    }
    // Spec §3.1.2.10: one and a half times the keep-alive without a packet closes.
    const auto limit = std::chrono::milliseconds(_keep_alive * 1500);
    const auto since =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - _last_received);
    const auto wait = since >= limit ? std::chrono::milliseconds(1) : limit - since;
    _keep_alive_timer = _conn.exec().post_after(wait, [this, alive = _alive] {
        if (*alive) {
            keep_alive_check();
        }
    });
}

void session::keep_alive_check()
{
    if (_state != state::connected) {
        return;
    }
    const auto limit = std::chrono::milliseconds(_keep_alive * 1500);
    if (std::chrono::steady_clock::now() - _last_received >= limit) {
        fail(reason_code::keep_alive_timeout, fmt::format("nothing received for 1.5 x {} s", _keep_alive));
        return;
    }
    start_keep_alive();
}

// ---- DISCONNECT, takeover, errors ------------------------------------------------------------

void session::on_disconnect(const disconnect_packet& d)
{
    if (v5() && d.props.session_expiry_interval) {
        if (_session_expiry == 0 && *d.props.session_expiry_interval != 0) {
            // Spec 5.0 §3.14.2.2.2.
            fail(reason_code::protocol_error, "DISCONNECT sets a session expiry after CONNECT said 0");
            return;
        }
        _session_expiry = *d.props.session_expiry_interval;
        std::lock_guard lock(_session->mutex);
        _session->expiry_seconds = _session_expiry;
        _session->persistent = _session_expiry > 0;
    }
    _publish_will = d.reason == reason_code::disconnect_with_will;
    PLEXUS_LOG(_log, debug, "client '{}' disconnected: {}", _client_id, describe(d.reason));
    _state = state::closed;
    _io.close_transport(sdk::status(sdk::errc::unavailable, "client sent DISCONNECT"));
}

void session::taken_over()
{
    if (_state == state::closed) {
        return;
    }
    PLEXUS_LOG(_log, info, "client '{}': session taken over by a new connection", _client_id);
    _taken_over = true;
    if (v5()) {
        send(disconnect_packet{ reason_code::session_taken_over, {} });
    }
    _state = state::closed;
    _io.close_transport(sdk::status(sdk::errc::unavailable, "MQTT session taken over"));
}

void session::fail(reason_code why, std::string text)
{
    if (_state == state::closed) {
        return;
    }
    if (_state == state::awaiting_connect || _state == state::connecting) {
        refuse_connect(why, std::move(text));
        return;
    }
    PLEXUS_LOG(
      _log, info, "client '{}' ({}): closing with {}: {}", _client_id, _conn.peer().address, describe(why), text);
    if (v5()) {
        disconnect_packet d;
        d.reason = why;
        d.props.reason_string = text;
        send(d);
    }
    _state = state::closed;
    _io.close_transport(sdk::status(sdk::errc::protocol_error, text));
}

// ---- the will and the offline session --------------------------------------------------------

void session::publish_will_now()
{
    if (!_will) {
        return;
    }
    publish_packet p;
    p.topic = _will->topic;
    p.qos = _will->qos;
    p.retain = _will->retain;
    p.props = _will->props;
    p.props.will_delay_interval.reset();
    p.payload = sdk::buffer_chain::copy_of(_will->payload);
    publish_to_kernel(p, std::nullopt);
    _will.reset();
}

void session::leave_offline()
{
    if (!_session) {
        return;
    }
    std::string queue;
    {
        std::lock_guard lock(_session->mutex);
        queue = _session->queue;
    }
    const bool persistent = _session_expiry > 0 && !queue.empty();
    const bool will = _publish_will && _will && _state != state::awaiting_connect;
    std::uint32_t will_delay = will && v5() ? _will->props.will_delay_interval.value_or(0) : 0;
    will_delay = std::min(will_delay, _session_expiry);
    _shared.sessions.released(_client_id, _owner.get(), !persistent);
    // A connection taken over ends with a new connection to its client id: a will with a
    // delay is then not sent (spec 5.0 §3.1.2.5); one without a delay goes out now.
    if (will && will_delay == 0) {
        publish_will_now();
    }
    if (_taken_over) {
        return; // the session is the new connection's now
    }
    if (!persistent) {
        _shared.gateway->leave_groups(*_kernel, _vhost, *_session);
        if (!queue.empty()) {
            _shared.session_records.remove(_vhost, _client_id);
            _kernel->delete_queue(_vhost, queue, false, false, [](sdk::result<std::uint64_t>) {});
        }
        return;
    }
    std::lock_guard lock(_session->mutex);
    if (_session->generation != _generation) {
        return; // a new connection took the session while this one closed
    }
    persist_locked(now());
    _session->timer_shard = &_conn.exec();
    if (will && will_delay > 0) {
        publish_packet p;
        p.topic = _will->topic;
        p.qos = _will->qos;
        p.retain = _will->retain;
        p.props = _will->props;
        p.props.will_delay_interval.reset();
        p.payload = sdk::buffer_chain::copy_of(_will->payload);
        auto msg = to_message(p, _client_id, now());
        _session->will_timer =
          _conn.exec().post_after(std::chrono::seconds(will_delay),
                                  [k = _kernel,
                                   shared = &_shared,
                                   st = _session,
                                   gen = _generation,
                                   vhost = _vhost,
                                   msg,
                                   retain = p.retain,
                                   topic = p.topic] {
                                      {
                                          std::lock_guard l(st->mutex);
                                          if (st->generation != gen) {
                                              return;
                                          }
                                      }
                                      if (retain) {
                                          shared->retained.set(vhost, topic, msg);
                                      }
                                      sdk::publish_request req;
                                      req.vhost = vhost;
                                      req.msg = msg;
                                      k->publish(std::move(req), [](sdk::result<sdk::publish_ack>) {});
                                  });
    }
    if (_session_expiry != never_expires) {
        _session->expiry_timer = _shared.gateway->arm_expiry(
          *_kernel, _conn.exec(), _session, _generation, _vhost, std::chrono::seconds(_session_expiry));
    }
}

void session::persist_locked(sdk::timestamp_ms offline_since)
{
    if (_session->persistent && !_session->queue.empty()) {
        _shared.session_records.save(_vhost, _client_id, record_of(*_session, offline_since()));
    }
}

void session::persist()
{
    std::lock_guard lock(_session->mutex);
    persist_locked();
}

// ---- output and closing ----------------------------------------------------------------------

void session::send(const packet& p)
{
    if (const auto* publish = std::get_if<publish_packet>(&p)) {
        auto copy = *publish;
        send(copy);
        return;
    }
    sys_counters::bump(_shared.counters.packets_sent);
    queue_output(encode_packet(p, _version));
}

void session::send(publish_packet& p)
{
    if (_outbound_aliases.enabled() && !p.topic.empty()) {
        // The alias must not push the packet over the client's maximum (the caller checked
        // the packet without it): then it goes out with its topic and no alias.
        const auto next = _outbound_aliases.peek(p.topic);
        const std::size_t alias_property = 3;
        const std::size_t size =
          publish_wire_size(p, _version) + alias_property - (next.send_topic ? 0 : p.topic.size());
        if (size <= _client_max_packet_size) {
            const auto use = _outbound_aliases.assign(p.topic);
            p.props.topic_alias = use->alias;
            if (!use->send_topic) {
                p.topic.clear();
            }
        }
    }
    sys_counters::bump(_shared.counters.packets_sent);
    sys_counters::bump(_shared.counters.publishes_sent);
    queue_output(encode_packet(p, _version));
}

void session::queue_output(sdk::buffer_chain bytes)
{
    _out.append(std::move(bytes));
    _io.schedule_flush();
}

void session::flush()
{
    if (_out.empty()) {
        return;
    }
    _conn.write(std::exchange(_out, sdk::buffer_chain()));
}

void session::teardown()
{
    _before_connack.clear();
    _waiting.clear();
    _inflight.clear();
    _shared_consumers.clear();
    _own.reset();
}

void session::on_writable() noexcept
{
    try {
        if (!_consumers_paused) {
            return;
        }
        _consumers_paused = false;
        if (_own) {
            _own->set_paused(false);
        }
        for (auto& [k, c] : _shared_consumers) {
            c->set_paused(false);
        }
    } catch (const std::exception& e) {
        PLEXUS_LOG(_log, error, "connection {}: {}", _conn.peer().address, e.what());
    }
}

void session::on_close(const sdk::status& why) noexcept
{
    try {
        // Any close but a normal DISCONNECT (or a refused CONNECT) publishes the will.
        const bool was_connected = _state != state::awaiting_connect && _session != nullptr;
        if (std::exchange(_counted_connected, false)) {
            _shared.counters.clients_connected.fetch_sub(1, std::memory_order_relaxed);
        }
        _state = state::closed;
        _keep_alive_timer.reset();
        _connect_timer.reset();
        if (was_connected) {
            leave_offline();
        }
        teardown();
        _kernel->release_connection(_connection_id);
        PLEXUS_LOG(_log, debug, "connection {} closed: {}", _conn.peer().address, why.to_string());
    } catch (const std::exception&) {
        // Nothing left to tell anyone: the connection is gone.
    }
}

} // namespace plexus::protocol::mqtt
