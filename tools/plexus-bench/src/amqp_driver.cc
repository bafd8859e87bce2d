#include "amqp_driver.h"

#if __has_include(<rabbitmq-c/amqp.h>)
#include <rabbitmq-c/amqp.h>
#include <rabbitmq-c/tcp_socket.h>
#else
#include <amqp.h>
#include <amqp_tcp_socket.h>
#endif
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cstdio>
#include <deque>
#include <string>

namespace plexus::bench {

namespace {

constexpr amqp_channel_t channel = 1;
constexpr int frame_max = 131072; // RabbitMQ's default

std::string text_of(amqp_bytes_t b)
{
    return std::string(static_cast<const char*>(b.bytes), b.len);
}

/// The broker's close reason in a server exception, or the library's error.
std::string describe(const amqp_rpc_reply_t& r)
{
    switch (r.reply_type) {
        case AMQP_RESPONSE_NORMAL:
            return "ok";
        case AMQP_RESPONSE_NONE:
            return "no reply from the broker";
        case AMQP_RESPONSE_LIBRARY_EXCEPTION:
            return amqp_error_string2(r.library_error);
        case AMQP_RESPONSE_SERVER_EXCEPTION:
            if (r.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
                auto* m = static_cast<amqp_connection_close_t*>(r.reply.decoded);
                return "connection closed by the broker: " + std::to_string(m->reply_code) + " " +
                       text_of(m->reply_text);
            }
            if (r.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
                auto* m = static_cast<amqp_channel_close_t*>(r.reply.decoded);
                return "channel closed by the broker: " + std::to_string(m->reply_code) + " " + text_of(m->reply_text);
            }
            return "unexpected method " + std::to_string(r.reply.id) + " from the broker";
    }
    return "unknown reply";
}

void check(const amqp_rpc_reply_t& r, const std::string& what)
{
    if (r.reply_type != AMQP_RESPONSE_NORMAL) {
        throw driver_error(what + ": " + describe(r));
    }
}

/// A frame that is neither a delivery nor a confirm ends the run with what the broker said.
[[noreturn]] void unexpected_frame(const amqp_frame_t& f, const std::string& where)
{
    if (f.frame_type == AMQP_FRAME_METHOD) {
        switch (f.payload.method.id) {
            case AMQP_CONNECTION_CLOSE_METHOD: {
                auto* m = static_cast<amqp_connection_close_t*>(f.payload.method.decoded);
                throw driver_error(where + ": connection closed by the broker: " + std::to_string(m->reply_code) + " " +
                                   text_of(m->reply_text));
            }
            case AMQP_CHANNEL_CLOSE_METHOD: {
                auto* m = static_cast<amqp_channel_close_t*>(f.payload.method.decoded);
                throw driver_error(where + ": channel closed by the broker: " + std::to_string(m->reply_code) + " " +
                                   text_of(m->reply_text));
            }
            case AMQP_BASIC_CANCEL_METHOD:
                throw driver_error(where + ": the broker cancelled the consumer");
            default:
                char id[16];
                std::snprintf(id, sizeof id, "0x%08x", f.payload.method.id);
                throw driver_error(where + ": unexpected method " + id);
        }
    }
    throw driver_error(where + ": unexpected frame type " + std::to_string(f.frame_type));
}

timeval to_timeval(std::chrono::microseconds d)
{
    if (d.count() < 0) {
        d = std::chrono::microseconds(0);
    }
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(d.count() / 1000000);
    tv.tv_usec = static_cast<suseconds_t>(d.count() % 1000000);
    return tv;
}

/// One logged-in connection with channel 1 open. Closes politely when destroyed.
class connection
{
  public:
    connection(const options& o, const std::string& role)
      : _state(amqp_new_connection())
    {
        if (_state == nullptr) {
            throw driver_error(role + ": out of memory");
        }
        amqp_socket_t* socket = amqp_tcp_socket_new(_state);
        if (socket == nullptr) {
            amqp_destroy_connection(_state);
            throw driver_error(role + ": cannot create a socket");
        }
        int st = amqp_socket_open(socket, o.host.c_str(), o.port);
        if (st != AMQP_STATUS_OK) {
            amqp_destroy_connection(_state);
            throw driver_error(role + ": cannot connect to " + o.host + ":" + std::to_string(o.port) + ": " +
                               amqp_error_string2(st));
        }
        int fd = amqp_socket_get_sockfd(socket);
        int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); // latency runs send one message at a time
        auto login = amqp_login(
          _state, o.vhost.c_str(), 0, frame_max, 0, AMQP_SASL_METHOD_PLAIN, o.user.c_str(), o.password.c_str());
        if (login.reply_type != AMQP_RESPONSE_NORMAL) {
            auto why = describe(login);
            amqp_destroy_connection(_state);
            throw driver_error(role + ": login to " + o.host + ":" + std::to_string(o.port) + " failed: " + why);
        }
        amqp_channel_open(_state, channel);
        auto opened = amqp_get_rpc_reply(_state);
        if (opened.reply_type != AMQP_RESPONSE_NORMAL) {
            auto why = describe(opened);
            amqp_destroy_connection(_state);
            throw driver_error(role + ": channel.open: " + why);
        }
        _open = true;
    }
    ~connection()
    {
        if (_open) {
            amqp_channel_close(_state, channel, AMQP_REPLY_SUCCESS);
            amqp_connection_close(_state, AMQP_REPLY_SUCCESS);
        }
        amqp_destroy_connection(_state);
    }
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    amqp_connection_state_t get() const noexcept { return _state; }
    /// After a failure the broker has closed the channel or connection: skip the polite close.
    void mark_broken() noexcept { _open = false; }

  private:
    amqp_connection_state_t _state;
    bool _open = false;
};

struct topology
{
    std::string exchange;            // "" = the default exchange
    std::string routing_key;         // the queue name with the default exchange
    std::vector<std::string> queues; // one per destination
    bool durable = false;
    std::string queue_type; // x-queue-type, "" for the broker's default
};

/// Declares `queue` (and binds it to the fanout exchange, if any) on `c`. Consumers declare
/// the queue they read, as applications do, so a broker that places a queue near the
/// connection that declared it first (RabbitMQ's client-local, Plexus's shards) sees the
/// pattern it is built for; the setup connection declares only what no consumer does.
void declare_queue(amqp_connection_state_t c, const topology& t, const std::string& queue)
{
    amqp_table_entry_t type_arg{};
    amqp_table_t args = amqp_empty_table;
    if (!t.queue_type.empty()) {
        type_arg.key = amqp_cstring_bytes("x-queue-type");
        type_arg.value.kind = AMQP_FIELD_KIND_UTF8;
        type_arg.value.value.bytes = amqp_cstring_bytes(t.queue_type.c_str());
        args = amqp_table_t{ 1, &type_arg };
    }
    amqp_queue_declare(c, channel, amqp_cstring_bytes(queue.c_str()), 0, t.durable ? 1 : 0, 0, 0, args);
    check(amqp_get_rpc_reply(c), "queue.declare " + queue);
    if (!t.exchange.empty()) {
        amqp_queue_bind(c,
                        channel,
                        amqp_cstring_bytes(queue.c_str()),
                        amqp_cstring_bytes(t.exchange.c_str()),
                        amqp_empty_bytes,
                        amqp_empty_table);
        check(amqp_get_rpc_reply(c), "queue.bind " + queue);
    }
}

class amqp_publisher final : public publisher
{
  public:
    amqp_publisher(const options& o, const topology& t, int index)
      : _conn(o, "publisher " + std::to_string(index))
      , _exchange(t.exchange)
      , _routing_key(t.routing_key)
      , _window(o.confirm_window)
    {
        _props._flags = 0;
        if (o.persistent) {
            _props._flags = AMQP_BASIC_DELIVERY_MODE_FLAG;
            _props.delivery_mode = 2;
        }
        if (_window > 0) {
            amqp_confirm_select(_conn.get(), channel);
            check(amqp_get_rpc_reply(_conn.get()), "confirm.select");
        }
    }

    void publish(std::span<const std::byte> body) override
    {
        if (_window > 0) {
            while (_published - _settled >= _window) {
                if (!read_confirms(std::chrono::seconds(60), "waiting for confirms")) {
                    throw driver_error("no confirm from the broker for 60 s with the window full");
                }
            }
        }
        amqp_bytes_t b{ body.size(), const_cast<std::byte*>(body.data()) };
        int st = amqp_basic_publish(_conn.get(),
                                    channel,
                                    amqp_cstring_bytes(_exchange.c_str()),
                                    amqp_cstring_bytes(_routing_key.c_str()),
                                    0,
                                    0,
                                    &_props,
                                    b);
        if (st != AMQP_STATUS_OK) {
            _conn.mark_broken();
            throw driver_error(std::string("basic.publish: ") + amqp_error_string2(st));
        }
        ++_published;
        if (_window > 0) {
            _state.push_back(0);
        }
    }

    bool wait_confirms(std::chrono::steady_clock::time_point deadline) override
    {
        while (_window > 0 && _settled < _published) {
            auto left =
              std::chrono::duration_cast<std::chrono::microseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) {
                return false;
            }
            read_confirms(left, "waiting for the last confirms");
        }
        return true;
    }

    publisher_counts counts() const override { return _counts; }

  private:
    /// Waits up to `timeout` for one frame, then takes every frame already buffered. False
    /// when nothing came.
    bool read_confirms(std::chrono::microseconds timeout, const char* where)
    {
        amqp_frame_t f;
        auto tv = to_timeval(timeout);
        int st = amqp_simple_wait_frame_noblock(_conn.get(), &f, &tv);
        if (st == AMQP_STATUS_TIMEOUT) {
            return false;
        }
        for (;;) {
            if (st != AMQP_STATUS_OK) {
                _conn.mark_broken();
                throw driver_error(std::string(where) + ": " + amqp_error_string2(st));
            }
            take(f, where);
            if (!amqp_data_in_buffer(_conn.get()) && !amqp_frames_enqueued(_conn.get())) {
                return true;
            }
            st = amqp_simple_wait_frame(_conn.get(), &f);
        }
    }

    void take(const amqp_frame_t& f, const char* where)
    {
        if (f.frame_type == AMQP_FRAME_METHOD && f.payload.method.id == AMQP_BASIC_ACK_METHOD) {
            auto* m = static_cast<amqp_basic_ack_t*>(f.payload.method.decoded);
            settle(m->delivery_tag, m->multiple != 0, true);
        } else if (f.frame_type == AMQP_FRAME_METHOD && f.payload.method.id == AMQP_BASIC_NACK_METHOD) {
            auto* m = static_cast<amqp_basic_nack_t*>(f.payload.method.decoded);
            settle(m->delivery_tag, m->multiple != 0, false);
        } else if (f.frame_type != AMQP_FRAME_HEARTBEAT) {
            _conn.mark_broken();
            unexpected_frame(f, where);
        }
    }

    /// Delivery tags count publishes from 1; `_state[i]` is tag `_base + i`, 1 once settled.
    void settle(std::uint64_t tag, bool multiple, bool ack)
    {
        if (tag < _base || tag >= _base + _state.size()) {
            if (multiple && tag >= _base) {
                tag = _base + _state.size() - 1;
            } else {
                return; // already settled (a broker may repeat a multiple range)
            }
        }
        auto mark = [&](std::size_t i) {
            if (_state[i] == 0) {
                _state[i] = 1;
                ++_settled;
                ++(ack ? _counts.confirmed : _counts.refused);
            }
        };
        if (multiple) {
            for (std::size_t i = 0; i <= tag - _base; ++i) {
                mark(i);
            }
        } else {
            mark(tag - _base);
        }
        while (!_state.empty() && _state.front() != 0) {
            _state.pop_front();
            ++_base;
        }
    }

    connection _conn;
    std::string _exchange;
    std::string _routing_key;
    std::uint32_t _window;
    amqp_basic_properties_t _props{};
    std::uint64_t _published = 0;
    std::uint64_t _settled = 0;
    std::uint64_t _base = 1;
    std::deque<std::uint8_t> _state;
    publisher_counts _counts;
};

class amqp_subscriber final : public subscriber
{
  public:
    amqp_subscriber(const options& o, const topology& t, const std::string& queue, int index)
      : _conn(o, "consumer " + std::to_string(index))
      , _manual_ack(o.manual_ack)
      , _ack_every(o.ack_every > 0 ? o.ack_every : std::max<std::uint32_t>(1, o.prefetch / 2))
    {
        declare_queue(_conn.get(), t, queue);
        if (o.prefetch > 0) {
            amqp_basic_qos(_conn.get(), channel, 0, static_cast<std::uint16_t>(o.prefetch), 0);
            check(amqp_get_rpc_reply(_conn.get()), "basic.qos");
        }
        amqp_basic_consume(_conn.get(),
                           channel,
                           amqp_cstring_bytes(queue.c_str()),
                           amqp_empty_bytes,
                           0,
                           _manual_ack ? 0 : 1,
                           0,
                           amqp_empty_table);
        check(amqp_get_rpc_reply(_conn.get()), "basic.consume on " + queue);
    }

    std::size_t poll(std::chrono::milliseconds timeout, delivery_sink& sink) override
    {
        std::size_t n = 0;
        auto tv = to_timeval(timeout);
        for (;;) {
            // Take what has arrived; once the buffer is empty, acknowledge before waiting again
            // so the broker's prefetch window never stalls on an ack we are sitting on.
            if (n > 0 && !amqp_data_in_buffer(_conn.get()) && !amqp_frames_enqueued(_conn.get())) {
                break;
            }
            amqp_maybe_release_buffers(_conn.get());
            amqp_envelope_t env;
            auto r = amqp_consume_message(_conn.get(), &env, &tv, 0);
            if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION && r.library_error == AMQP_STATUS_TIMEOUT) {
                break;
            }
            if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION && r.library_error == AMQP_STATUS_UNEXPECTED_STATE) {
                amqp_frame_t f;
                int st = amqp_simple_wait_frame(_conn.get(), &f);
                _conn.mark_broken();
                if (st != AMQP_STATUS_OK) {
                    throw driver_error(std::string("consuming: ") + amqp_error_string2(st));
                }
                unexpected_frame(f, "consuming");
            }
            if (r.reply_type != AMQP_RESPONSE_NORMAL) {
                _conn.mark_broken();
                check(r, "consuming");
            }
            sink.on_delivery(
              std::span<const std::byte>(static_cast<const std::byte*>(env.message.body.bytes), env.message.body.len),
              env.redelivered != 0);
            auto tag = env.delivery_tag;
            amqp_destroy_envelope(&env);
            ++n;
            if (_manual_ack) {
                _last_tag = tag;
                if (++_unacked >= _ack_every) {
                    ack();
                }
            }
        }
        if (_unacked > 0) {
            ack();
        }
        return n;
    }

  private:
    void ack()
    {
        int st = amqp_basic_ack(_conn.get(), channel, _last_tag, 1);
        if (st != AMQP_STATUS_OK) {
            _conn.mark_broken();
            throw driver_error(std::string("basic.ack: ") + amqp_error_string2(st));
        }
        _unacked = 0;
    }

    connection _conn;
    bool _manual_ack;
    std::uint32_t _ack_every;
    std::uint32_t _unacked = 0;
    std::uint64_t _last_tag = 0;
};

class amqp_driver final : public driver
{
  public:
    explicit amqp_driver(const options& o)
      : _o(o)
    {
        if (_o.port == 0) {
            _o.port = 5672;
        }
        if (_o.qos > 0) {
            throw driver_error("amqp: --qos is an MQTT option (--confirm and --manual-ack are AMQP's)");
        }
        if (_o.queue_type == "stream" && !_o.manual_ack) {
            throw driver_error("--queue-type stream needs --manual-ack (streams refuse auto-ack consumers)");
        }
    }
    ~amqp_driver() override { clean_up(); }

    std::string_view protocol() const noexcept override { return "amqp"; }

    void prepare(std::uint32_t run_id) override
    {
        char id[16];
        std::snprintf(id, sizeof id, "%08x", run_id);
        std::string base = std::string("plexus-bench-") + id;
        _topology.durable = _o.persistent || _o.queue_type == "quorum" || _o.queue_type == "stream";
        _control = std::make_unique<connection>(_o, "setup");
        auto* c = _control->get();
        if (_o.fanout > 0) {
            _topology.exchange = base + "-fanout";
            amqp_exchange_declare(c,
                                  channel,
                                  amqp_cstring_bytes(_topology.exchange.c_str()),
                                  amqp_cstring_bytes("fanout"),
                                  0,
                                  _topology.durable ? 1 : 0,
                                  0,
                                  0,
                                  amqp_empty_table);
            check(amqp_get_rpc_reply(c), "exchange.declare " + _topology.exchange);
            _declared_exchange = true;
        }
        _topology.queue_type = _o.queue_type;
        for (int i = 0; i < _o.destinations(); ++i) {
            auto name = base + "-q" + std::to_string(i);
            _topology.queues.push_back(name);
            // Queue i is read by consumers i, i + destinations, …: with none, declare it here.
            if (i >= _o.consumer_count()) {
                declare_queue(c, _topology, name);
            }
        }
        if (_o.fanout == 0) {
            _topology.routing_key = _topology.queues.front();
        }
    }

    std::unique_ptr<publisher> open_publisher(int index) override
    {
        return std::make_unique<amqp_publisher>(_o, _topology, index);
    }

    std::unique_ptr<subscriber> open_subscriber(int index, int destination) override
    {
        return std::make_unique<amqp_subscriber>(
          _o, _topology, _topology.queues.at(static_cast<std::size_t>(destination)), index);
    }

    void clean_up() noexcept override
    {
        if (_topology.queues.empty() && !_declared_exchange) {
            return;
        }
        try {
            // The setup connection idles through the run; a broker may have dropped it.
            std::unique_ptr<connection> fresh;
            connection* c = _control.get();
            if (c == nullptr) {
                fresh = std::make_unique<connection>(_o, "clean-up");
                c = fresh.get();
            }
            for (const auto& q : _topology.queues) {
                amqp_queue_delete(c->get(), channel, amqp_cstring_bytes(q.c_str()), 0, 0);
                check(amqp_get_rpc_reply(c->get()), "queue.delete " + q);
            }
            if (_declared_exchange) {
                amqp_exchange_delete(c->get(), channel, amqp_cstring_bytes(_topology.exchange.c_str()), 0);
                check(amqp_get_rpc_reply(c->get()), "exchange.delete " + _topology.exchange);
            }
        } catch (const driver_error& e) {
            std::fprintf(stderr, "plexus-bench: clean-up: %s\n", e.what());
            if (_control) {
                _control->mark_broken();
            }
        }
        _topology.queues.clear();
        _declared_exchange = false;
        _control.reset();
    }

  private:
    options _o;
    topology _topology;
    bool _declared_exchange = false;
    std::unique_ptr<connection> _control;
};

} // namespace

std::unique_ptr<driver> make_amqp_driver(const options& o)
{
    return std::make_unique<amqp_driver>(o);
}

} // namespace plexus::bench
