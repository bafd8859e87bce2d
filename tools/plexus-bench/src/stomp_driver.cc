#include "stomp_driver.h"

#include "stomp_frame.h"
#include "tcp_socket.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

namespace plexus::bench {

namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

constexpr std::size_t read_chunk = 256 * 1024;
constexpr std::size_t acks_per_write = 256;   // client-individual: ACK frames gathered into one write
constexpr std::size_t frames_per_poll = 4096; // then acks go out and the runner sees progress
constexpr auto handshake_timeout = 10s;

std::string text_of(std::span<const std::byte> body)
{
    return std::string(reinterpret_cast<const char*>(body.data()), body.size());
}

/// A TCP connection that has been through CONNECT / CONNECTED (STOMP 1.2); sends DISCONNECT
/// and closes when destroyed.
class connection
{
  public:
    connection(const options& o, std::string role)
      : _role(std::move(role))
    {
        _fd = connect_tcp(o.host, o.port, _role);

        std::string out;
        write_stomp_frame(out,
                          "CONNECT",
                          { { "accept-version", "1.2" },
                            { "host", o.vhost },
                            { "login", o.user },
                            { "passcode", o.password },
                            { "heart-beat", "0,0" } });
        send(out);
        stomp_frame f;
        if (!read_frame(f, handshake_timeout)) {
            ::close(_fd);
            throw driver_error(_role + ": no CONNECTED from the broker in 10 s");
        }
        if (f.command != "CONNECTED" || f.header("version") != "1.2") {
            auto what = std::string(f.command) + " version '" + std::string(f.header("version")) + "'";
            ::close(_fd);
            throw driver_error(_role + ": expected CONNECTED with version 1.2, got " + what);
        }
    }
    ~connection()
    {
        if (_fd >= 0) {
            std::string out;
            write_stomp_frame(out, "DISCONNECT", {});
            [[maybe_unused]] auto n = ::send(_fd, out.data(), out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
            ::close(_fd);
        }
    }
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    const std::string& role() const noexcept { return _role; }

    void send(std::string_view bytes)
    {
        try {
            send_all(_fd, bytes, _role);
        } catch (const driver_error& e) {
            throw driver_error(e.what() + broker_said());
        }
    }

    /// The next frame, waiting up to `timeout` for it (0: only what has arrived); false when
    /// none came. An ERROR frame, a close or a malformed stream ends the run. The frame is
    /// valid until the next call.
    bool read_frame(stomp_frame& f, milliseconds timeout)
    {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            switch (_reader.next(f)) {
                case stomp_reader::status::frame:
                    if (f.command == "ERROR") {
                        throw driver_error(_role + ": ERROR from the broker: " + std::string(f.header("message")) +
                                           (f.body.empty() ? "" : ": " + text_of(f.body)));
                    }
                    return true;
                case stomp_reader::status::malformed:
                    throw driver_error(_role + ": unreadable frame from the broker: " + _reader.error());
                case stomp_reader::status::incomplete:
                    break;
            }
            auto left = std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
            if (!receive(left.count() > 0 ? int(left.count()) : 0)) {
                return false;
            }
        }
    }

  private:
    /// Reads what has arrived, waiting up to `wait_ms` for something; false when nothing came.
    bool receive(int wait_ms)
    {
        if (wait_ms > 0 && !wait_readable(_fd, wait_ms, _role)) {
            return false;
        }
        auto room = _reader.room(read_chunk);
        auto n = ::recv(_fd, room.data(), room.size(), MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            return false;
        }
        if (n < 0) {
            throw driver_error(_role + ": recv: " + std::strerror(errno));
        }
        if (n == 0) {
            throw driver_error(_role + ": the broker closed the connection");
        }
        _reader.commit(std::size_t(n));
        return true;
    }

    /// After a failed send: the ERROR frame the broker sent before closing, if it is there.
    std::string broker_said()
    {
        try {
            stomp_frame f;
            while (read_frame(f, 0ms)) {
            }
        } catch (const driver_error& e) {
            return std::string(" (") + e.what() + ")";
        }
        return "";
    }

    std::string _role;
    int _fd = -1;
    stomp_reader _reader;
};

class stomp_publisher final : public publisher
{
  public:
    stomp_publisher(const options& o, std::string destination, int index)
      : _conn(o, "publisher " + std::to_string(index))
      , _destination(std::move(destination))
      , _window(o.confirm_window)
      , _persistent(o.persistent)
    {
    }

    void publish(std::span<const std::byte> body) override
    {
        while (_window > 0 && _sent - _receipts >= _window) {
            if (!read_receipts(60s)) {
                throw driver_error("no RECEIPT from the broker for 60 s with the window full");
            }
        }
        _frame.clear();
        // Only `persistent:true` is sent: RabbitMQ 3.10 answers a SEND with `persistent:false`
        // to a /queue destination another connection subscribed to with ERROR
        // resource_locked; without the header a message is transient all the same.
        auto receipt = std::to_string(_sent);
        if (_window > 0 && _persistent) {
            write_stomp_frame(_frame,
                              "SEND",
                              { { "destination", _destination }, { "persistent", "true" }, { "receipt", receipt } },
                              body);
        } else if (_window > 0) {
            write_stomp_frame(_frame, "SEND", { { "destination", _destination }, { "receipt", receipt } }, body);
        } else if (_persistent) {
            write_stomp_frame(_frame, "SEND", { { "destination", _destination }, { "persistent", "true" } }, body);
        } else {
            write_stomp_frame(_frame, "SEND", { { "destination", _destination } }, body);
        }
        _conn.send(_frame);
        ++_sent;
    }

    bool wait_confirms(std::chrono::steady_clock::time_point deadline) override
    {
        while (_window > 0 && _receipts < _sent) {
            auto left = std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) {
                return false;
            }
            read_receipts(left);
        }
        return true;
    }

    publisher_counts counts() const override { return { _receipts, 0 }; }

  private:
    /// Takes the receipts that arrive within `timeout` (at least one); false when none came.
    bool read_receipts(milliseconds timeout)
    {
        stomp_frame f;
        bool any = false;
        while (_conn.read_frame(f, any ? 0ms : timeout)) {
            if (f.command != "RECEIPT") {
                throw driver_error(_conn.role() + ": unexpected " + std::string(f.command) + " frame");
            }
            ++_receipts; // receipts come in the order of the frames that asked for them
            any = true;
        }
        return any;
    }

    connection _conn;
    std::string _destination;
    std::uint32_t _window;
    bool _persistent;
    std::string _frame;
    std::uint64_t _sent = 0;
    std::uint64_t _receipts = 0;
};

class stomp_subscriber final : public subscriber
{
  public:
    stomp_subscriber(const options& o, const std::string& destination, int index)
      : _conn(o, "consumer " + std::to_string(index))
      , _manual_ack(o.manual_ack)
    {
        std::string out;
        auto prefetch = std::to_string(o.prefetch);
        if (o.prefetch > 0) {
            write_stomp_frame(out,
                              "SUBSCRIBE",
                              { { "id", "0" },
                                { "destination", destination },
                                { "ack", _manual_ack ? "client-individual" : "auto" },
                                { "prefetch-count", prefetch },
                                { "receipt", "subscribed" } });
        } else {
            write_stomp_frame(out,
                              "SUBSCRIBE",
                              { { "id", "0" },
                                { "destination", destination },
                                { "ack", _manual_ack ? "client-individual" : "auto" },
                                { "receipt", "subscribed" } });
        }
        _conn.send(out);
        // The subscription must be in place before the runner opens its publishers (a topic
        // keeps nothing for a subscriber that is not there yet).
        stomp_frame f;
        if (!_conn.read_frame(f, handshake_timeout) || f.command != "RECEIPT") {
            throw driver_error(_conn.role() + ": no RECEIPT for SUBSCRIBE to " + destination);
        }
    }

    std::size_t poll(milliseconds timeout, delivery_sink& sink) override
    {
        std::size_t n = 0;
        stomp_frame f;
        while (n < frames_per_poll && _conn.read_frame(f, n == 0 ? timeout : 0ms)) {
            if (f.command != "MESSAGE") {
                throw driver_error(_conn.role() + ": unexpected " + std::string(f.command) + " frame");
            }
            if (_manual_ack) {
                write_stomp_frame(_acks, "ACK", { { "id", f.header("ack") } });
                ++_unacked;
            }
            sink.on_delivery(f.body, f.header("redelivered") == "true");
            ++n;
            if (_unacked >= acks_per_write) {
                flush_acks();
            }
        }
        flush_acks(); // before waiting again: a prefetch window must not stall on acks held here
        return n;
    }

  private:
    void flush_acks()
    {
        if (!_acks.empty()) {
            _conn.send(_acks);
            _acks.clear();
            _unacked = 0;
        }
    }

    connection _conn;
    bool _manual_ack;
    std::string _acks;
    std::size_t _unacked = 0;
};

class stomp_driver final : public driver
{
  public:
    explicit stomp_driver(const options& o)
      : _o(o)
    {
        if (_o.port == 0) {
            _o.port = 61613;
        }
        if (_o.fanout > 0 && _o.consumer_count() > _o.destinations()) {
            throw driver_error("stomp: with --fanout every subscriber of the topic gets every message; "
                               "give one consumer per destination");
        }
        if (_o.qos > 0 || !_o.queue_type.empty()) {
            throw driver_error("stomp: --qos is an MQTT option, --queue-type an AMQP one");
        }
    }

    std::string_view protocol() const noexcept override { return "stomp"; }

    void prepare(std::uint32_t run_id) override
    {
        char base[32];
        std::snprintf(base, sizeof base, "plexus-bench-%08x", run_id);
        _destination = _o.fanout > 0 ? std::string("/topic/") + base : std::string("/queue/") + base + "-q0";
    }

    std::unique_ptr<publisher> open_publisher(int index) override
    {
        return std::make_unique<stomp_publisher>(_o, _destination, index);
    }

    std::unique_ptr<subscriber> open_subscriber(int index, int) override
    {
        return std::make_unique<stomp_subscriber>(_o, _destination, index);
    }

    // STOMP cannot delete a queue; the benchmark's brokers are private and thrown away.
    void clean_up() noexcept override {}

  private:
    options _o;
    std::string _destination;
};

} // namespace

std::unique_ptr<driver> make_stomp_driver(const options& o)
{
    return std::make_unique<stomp_driver>(o);
}

} // namespace plexus::bench
