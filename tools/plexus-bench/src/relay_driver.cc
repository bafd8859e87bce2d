#include "relay_driver.h"

#include "tcp_socket.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <thread>
#include <vector>

namespace plexus::bench {

namespace {

constexpr char publisher_hello = 'P';
constexpr char subscriber_hello = 'S';
constexpr char registered = 'K'; // the relay forwards to this subscriber from now on
constexpr std::size_t length_prefix = 4;
constexpr std::size_t read_chunk = 64 * 1024;

std::string errno_text(const char* what)
{
    return std::string("relay: ") + what + ": " + std::strerror(errno);
}

/// The relay's thread: accepts connections, learns from each one's first byte whether it
/// publishes or subscribes, and copies every byte a publisher sends to every subscriber.
class relay
{
  public:
    relay()
    {
        _listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        if (_listener < 0 || ::bind(_listener, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
            ::listen(_listener, 64) != 0 || ::getsockname(_listener, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
            throw driver_error(errno_text("cannot listen on 127.0.0.1"));
        }
        _port = ntohs(a.sin_port);
        _stop = ::eventfd(0, EFD_CLOEXEC);
        _epoll = ::epoll_create1(EPOLL_CLOEXEC);
        if (_stop < 0 || _epoll < 0) {
            throw driver_error(errno_text("eventfd/epoll"));
        }
        watch(_listener);
        watch(_stop);
        _thread = std::thread([this] { run(); });
    }
    ~relay()
    {
        std::uint64_t one = 1;
        [[maybe_unused]] auto n = ::write(_stop, &one, sizeof one);
        _thread.join();
        for (auto& [fd, role] : _connections) {
            ::close(fd);
        }
        ::close(_epoll);
        ::close(_stop);
        ::close(_listener);
    }
    relay(const relay&) = delete;
    relay& operator=(const relay&) = delete;

    std::uint16_t port() const noexcept { return _port; }

  private:
    enum class role
    {
        unknown,
        publisher,
        subscriber
    };

    void watch(int fd)
    {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = fd;
        ::epoll_ctl(_epoll, EPOLL_CTL_ADD, fd, &ev);
    }

    void forget(int fd)
    {
        ::epoll_ctl(_epoll, EPOLL_CTL_DEL, fd, nullptr);
        std::erase(_subscribers, fd);
        _connections.erase(fd);
        ::close(fd);
    }

    void run()
    {
        std::vector<char> buf(read_chunk);
        epoll_event events[64];
        for (;;) {
            int n = ::epoll_wait(_epoll, events, 64, -1);
            for (int i = 0; i < n; ++i) {
                int fd = events[i].data.fd;
                if (fd == _stop) {
                    return;
                }
                if (fd == _listener) {
                    int c = ::accept4(_listener, nullptr, nullptr, SOCK_CLOEXEC);
                    if (c >= 0) {
                        int one = 1;
                        ::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                        _connections[c] = role::unknown;
                        watch(c);
                    }
                    continue;
                }
                auto k = ::recv(fd, buf.data(), buf.size(), 0);
                if (k <= 0) {
                    forget(fd);
                    continue;
                }
                forward(fd, std::string_view(buf.data(), std::size_t(k)));
            }
        }
    }

    void forward(int fd, std::string_view bytes)
    {
        auto& r = _connections[fd];
        if (r == role::unknown) {
            r = bytes.front() == subscriber_hello ? role::subscriber : role::publisher;
            bytes.remove_prefix(1);
            if (r == role::subscriber) {
                _subscribers.push_back(fd);
                try {
                    send_all(fd, std::string_view(&registered, 1), "relay");
                } catch (const driver_error&) {
                    forget(fd);
                }
                return;
            }
        }
        if (r != role::publisher) {
            return;
        }
        std::vector<int> gone;
        for (int s : _subscribers) {
            try {
                send_all(s, bytes, "relay"); // blocking: a slow subscriber slows the publisher, as TCP would
            } catch (const driver_error&) {
                gone.push_back(s); // it went away (the run is ending): not the relay thread's end
            }
        }
        for (int s : gone) {
            forget(s);
        }
    }

    int _listener = -1;
    int _stop = -1;
    int _epoll = -1;
    std::uint16_t _port = 0;
    std::map<int, role> _connections;
    std::vector<int> _subscribers;
    std::thread _thread;
};

class relay_connection
{
  public:
    relay_connection(std::uint16_t port, char hello, std::string role)
      : _role(std::move(role))
      , _fd(connect_tcp("127.0.0.1", port, _role))
    {
        send_all(_fd, std::string_view(&hello, 1), _role);
    }
    ~relay_connection() { ::close(_fd); }
    relay_connection(const relay_connection&) = delete;
    relay_connection& operator=(const relay_connection&) = delete;

    int fd() const noexcept { return _fd; }
    const std::string& role() const noexcept { return _role; }

  private:
    std::string _role;
    int _fd;
};

class relay_publisher final : public publisher
{
  public:
    explicit relay_publisher(std::uint16_t port, int index)
      : _conn(port, publisher_hello, "publisher " + std::to_string(index))
    {
    }
    void publish(std::span<const std::byte> body) override
    {
        // One send per message, as a broker client sends a frame: the prefix and the body together.
        _out.resize(length_prefix + body.size());
        auto n = htonl(static_cast<std::uint32_t>(body.size()));
        std::memcpy(_out.data(), &n, length_prefix);
        std::memcpy(_out.data() + length_prefix, body.data(), body.size());
        send_all(_conn.fd(), _out, _conn.role());
    }
    bool wait_confirms(std::chrono::steady_clock::time_point) override { return true; }
    publisher_counts counts() const override { return {}; }

  private:
    relay_connection _conn;
    std::string _out;
};

class relay_subscriber final : public subscriber
{
  public:
    relay_subscriber(std::uint16_t port, int index)
      : _conn(port, subscriber_hello, "subscriber " + std::to_string(index))
    {
        char ack = 0;
        if (!wait_readable(_conn.fd(), 10'000, _conn.role()) || ::recv(_conn.fd(), &ack, 1, 0) != 1 ||
            ack != registered) {
            throw driver_error(_conn.role() + ": the relay did not register the subscriber");
        }
    }
    std::size_t poll(std::chrono::milliseconds timeout, delivery_sink& sink) override
    {
        if (!wait_readable(_conn.fd(), int(timeout.count()), _conn.role())) {
            return 0;
        }
        auto start = _in.size();
        _in.resize(start + read_chunk);
        auto k = ::recv(_conn.fd(), _in.data() + start, read_chunk, MSG_DONTWAIT);
        _in.resize(start + std::size_t(std::max<ssize_t>(k, 0)));
        if (k == 0) {
            throw driver_error(_conn.role() + ": the relay closed the connection");
        }
        std::size_t n = 0;
        std::size_t at = 0;
        while (_in.size() - at >= length_prefix) {
            std::uint32_t len = 0;
            std::memcpy(&len, _in.data() + at, length_prefix);
            len = ntohl(len);
            if (_in.size() - at - length_prefix < len) {
                break;
            }
            sink.on_delivery(std::as_bytes(std::span(_in.data() + at + length_prefix, len)), false);
            at += length_prefix + len;
            ++n;
        }
        _in.erase(0, at);
        return n;
    }

  private:
    relay_connection _conn;
    std::string _in;
};

class relay_driver final : public driver
{
  public:
    explicit relay_driver(const options& o)
    {
        if (o.producers != 1) {
            throw driver_error("the relay driver takes one producer (--producers 1): it forwards bytes as they come");
        }
        if (o.consumer_count() != o.destinations()) {
            throw driver_error("the relay driver takes one consumer per destination");
        }
    }
    std::string_view protocol() const noexcept override { return "relay"; }
    void prepare(std::uint32_t) override { _relay = std::make_unique<relay>(); }
    std::unique_ptr<publisher> open_publisher(int index) override
    {
        return std::make_unique<relay_publisher>(_relay->port(), index);
    }
    std::unique_ptr<subscriber> open_subscriber(int index, int) override
    {
        return std::make_unique<relay_subscriber>(_relay->port(), index);
    }
    void clean_up() noexcept override { _relay.reset(); }

  private:
    std::unique_ptr<relay> _relay;
};

} // namespace

std::unique_ptr<driver> make_relay_driver(const options& o)
{
    return std::make_unique<relay_driver>(o);
}

} // namespace plexus::bench
