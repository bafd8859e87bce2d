// Connections through the kernel's listeners: a broker with the test line protocol on port 0,
// clients on plain POSIX sockets.
#include "kernel/src/server/broker.h"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <set>
#include <string>

using namespace plexus;
using namespace std::chrono_literals;

namespace {

class client
{
  public:
    explicit client(std::uint16_t port)
    {
        _fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::connect(_fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    }
    ~client() { ::close(_fd); }
    void send(const std::string& s) { REQUIRE(::write(_fd, s.data(), s.size()) == static_cast<ssize_t>(s.size())); }
    /// Sends `n` bytes of `c` in chunks until done or the peer stops taking them; the bytes sent.
    std::size_t send_until_refused(std::size_t n, char c)
    {
        std::string chunk(64u << 10, c);
        std::size_t sent = 0;
        while (sent < n) {
            auto k = ::send(_fd, chunk.data(), std::min(chunk.size(), n - sent), MSG_NOSIGNAL);
            if (k <= 0) {
                break;
            }
            sent += static_cast<std::size_t>(k);
        }
        return sent;
    }
    /// Reads one line; empty with `closed` set when the peer closed first.
    std::string line(std::chrono::milliseconds deadline = 5s)
    {
        auto until = std::chrono::steady_clock::now() + deadline;
        for (;;) {
            if (auto nl = _buf.find('\n'); nl != std::string::npos) {
                auto l = _buf.substr(0, nl);
                _buf.erase(0, nl + 1);
                return l;
            }
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
            if (left.count() <= 0) {
                return "<timeout>";
            }
            pollfd p{ _fd, POLLIN, 0 };
            if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
                continue;
            }
            char b[65536];
            auto n = ::read(_fd, b, sizeof b);
            if (n <= 0) {
                closed = true;
                return {};
            }
            _buf.append(b, static_cast<std::size_t>(n));
        }
    }
    bool closed = false;

  private:
    int _fd;
    std::string _buf;
};

struct net_fixture
{
    kernel::broker_config config;
    kernel::log_registry logs{ "warn" };
    std::unique_ptr<kernel::plugin_registry> plugins;
    std::unique_ptr<kernel::broker> b;

    explicit net_fixture(std::string host = "127.0.0.1")
    {
        config.shards = 2;
        config.admin_enabled = false;
        config.plugin_dirs = { PLEXUS_TEST_PLUGIN_DIR, PLEXUS_NET_FIXTURE_DIR };
        config.storage_engines = { { "memory", "{}" } };
        config.default_storage = "memory";
        config.routing_types = { { "direct", "{}" } };
        config.listeners.push_back({ "line", "test_line", std::move(host), 0, "{}" });
        plugins = std::make_unique<kernel::plugin_registry>(config.plugin_dirs);
        REQUIRE(plugins->load_configured(config).ok());
        auto created = kernel::broker::create(config, *plugins, logs);
        REQUIRE(created.ok());
        b = std::move(*created);
        REQUIRE(b->start().ok());
    }
    ~net_fixture() { b->stop(500ms); }
    std::uint16_t port() { return b->bound_ports().at(0).second; }
};

} // namespace

TEST_CASE_METHOD(net_fixture, "a gateway session answers over a real socket, with split frames", "[unit][net]")
{
    REQUIRE(port() != 0);
    client c(port());
    c.send("PI");
    c.send("NG\nPING\n");
    CHECK(c.line() == "PONG");
    CHECK(c.line() == "PONG");
}

TEST_CASE_METHOD(net_fixture, "publish and get through the facade from a connection", "[unit][net]")
{
    sdk::queue_spec q;
    q.name = "wire";
    REQUIRE(b->admin().declare_queue(q).ok());
    client c(port());
    c.send("PUB wire hello over tcp\n");
    CHECK(c.line() == "OK 1");
    c.send("PUB nowhere x\n");
    CHECK(c.line() == "OK 0");
    c.send("GET wire\n");
    CHECK(c.line() == "MSG hello over tcp");
    c.send("GET wire\n");
    CHECK(c.line() == "EMPTY");
}

TEST_CASE_METHOD(net_fixture, "connections spread over the shards", "[unit][net]")
{
    std::set<std::string> shards;
    std::vector<std::unique_ptr<client>> clients;
    for (int i = 0; i < 32 && shards.size() < 2; ++i) {
        clients.push_back(std::make_unique<client>(port()));
        clients.back()->send("SHARD\n");
        shards.insert(clients.back()->line());
    }
    CHECK(shards == std::set<std::string>{ "SHARD 0", "SHARD 1" });
}

TEST_CASE_METHOD(net_fixture, "a large response goes out whole", "[unit][net]")
{
    client c(port());
    c.send("BIG 3000000\nPING\n");
    auto big = c.line(10s);
    CHECK(big.size() == 3000000);
    CHECK(big.find_first_not_of('x') == std::string::npos);
    CHECK(c.line() == "PONG");
}

TEST_CASE_METHOD(net_fixture, "a session paused above the high watermark is told when to go on", "[unit][net]")
{
    // 4 KiB writes: one gathered write sends 64 of them, so the queue falls from above the high
    // watermark to between the two before it falls below the low one. on_writable() is owed
    // all the same, or the session would wait forever.
    client c(port());
    c.send("FLOOD 8000000\n");
    auto flood = c.line(10s);
    CHECK(flood.size() == 8000000);
    c.send("PING\n");
    CHECK(c.line() == "PONG");
}

TEST_CASE_METHOD(net_fixture, "a protocol error closes only that connection", "[unit][net]")
{
    client good(port());
    client bad(port());
    bad.send("BAD\nPING\n");
    CHECK(bad.line() == "ERR bad command");
    CHECK(bad.line().empty());
    CHECK(bad.closed);
    good.send("PING\n");
    CHECK(good.line() == "PONG");
}

TEST_CASE_METHOD(net_fixture,
                 "a paused connection reads nothing until it resumes and then everything in order",
                 "[unit][net]")
{
    client c(port());
    client other(port());
    c.send("PAUSE 400\n");
    CHECK(c.line() == "PAUSED");
    // Sent while the connection does not read: it waits in the socket buffers, unanswered.
    c.send("PING\nSHARD\n");
    CHECK(c.line(150ms) == "<timeout>");
    // The other connections are served meanwhile.
    other.send("PING\n");
    CHECK(other.line() == "PONG");
    CHECK(c.line() == "RESUMED");
    CHECK(c.line() == "PONG");
    CHECK(c.line().rfind("SHARD ", 0) == 0);
    CHECK_FALSE(c.closed);
}

TEST_CASE("a connection knows both of its ends, an IPv4 client of a dual-stack listener as IPv4", "[unit][net]")
{
    // On "::" an IPv4 client's addresses are IPv4-mapped IPv6 (::ffff:127.0.0.1): reported as
    // the IPv4 addresses they are, so loopback counts as loopback.
    for (const char* host : { "127.0.0.1", "::" }) {
        INFO("listener on " << host);
        net_fixture f(host);
        client c(f.port());
        c.send("PEER\n");
        auto line = c.line();
        CHECK(line.rfind("PEER 127.0.0.1:", 0) == 0);
        CHECK(line.ends_with(" 1 127.0.0.1 " + std::to_string(f.port())));
    }
}

TEST_CASE_METHOD(net_fixture,
                 "input a session never consumes is cut off at the kernel's limit on that connection only",
                 "[unit][net]")
{
    client good(port());
    client hoarder(port());
    // One line longer than the kernel's 16 MiB inbound limit: the line protocol waits for its
    // newline and consumes nothing.
    constexpr std::size_t beyond_limit = (16u << 20) + (1u << 20);
    hoarder.send_until_refused(beyond_limit, 'x');
    CHECK(hoarder.line(10s).empty());
    CHECK(hoarder.closed);
    good.send("PING\n");
    CHECK(good.line() == "PONG");
}

TEST_CASE("a listener port in use is refused with the address", "[unit][net]")
{
    net_fixture first;
    kernel::broker_config config = first.config;
    config.listeners[0].port = first.port();
    kernel::log_registry logs{ "off" };
    kernel::plugin_registry plugins(config.plugin_dirs);
    REQUIRE(plugins.load_configured(config).ok());
    // SO_REUSEPORT lets sockets of the same user share a port, so occupy it without it.
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(fd, 1) == 0);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    config.listeners[0].port = ntohs(a.sin_port);
    auto second = kernel::broker::create(config, plugins, logs);
    REQUIRE(second.ok());
    auto st = (*second)->start();
    ::close(fd);
    REQUIRE_FALSE(st.ok());
    CHECK(st.code() == sdk::errc::unavailable);
    CHECK(st.message().find("listener 'line' 127.0.0.1:" + std::to_string(ntohs(a.sin_port))) !=
          std::string_view::npos);
    (*second)->stop(0ms);
}

namespace {

/// The shard a client's connection is on, as the line protocol reports it.
std::uint32_t shard_of(client& c)
{
    c.send("SHARD\n");
    auto line = c.line();
    REQUIRE(line.rfind("SHARD ", 0) == 0);
    return static_cast<std::uint32_t>(std::stoul(line.substr(6)));
}

} // namespace

TEST_CASE_METHOD(net_fixture, "a connection moves to another shard and goes on there in order", "[unit][net][move]")
{
    sdk::queue_spec q;
    q.name = "moved";
    REQUIRE(b->admin().declare_queue(q).ok());
    client c(port());
    const auto first = shard_of(c);
    const auto other = 1 - first;
    // The lines after MOVE arrive in the same read: they are handled on the new shard, after
    // on_moved(), in order.
    c.send("MOVE " + std::to_string(other) + "\nPING\nSHARD\nPUB moved after the move\nGET moved\n");
    CHECK(c.line() == "MOVING");
    CHECK(c.line() == "MOVED " + std::to_string(other));
    CHECK(c.line() == "PONG");
    CHECK(c.line() == "SHARD " + std::to_string(other));
    CHECK(c.line() == "OK 1"); // through the new shard's facade
    CHECK(c.line() == "MSG after the move");
    // And back, with the next line sent only after the move began.
    c.send("MOVE " + std::to_string(first) + "\n");
    CHECK(c.line() == "MOVING");
    c.send("PING\n");
    CHECK(c.line() == "MOVED " + std::to_string(first));
    CHECK(c.line() == "PONG");
    CHECK(shard_of(c) == first);
    CHECK_FALSE(c.closed);
}

TEST_CASE_METHOD(net_fixture, "a move to the connection's own shard or to no shard is refused", "[unit][net][move]")
{
    client c(port());
    const auto here = shard_of(c);
    c.send("MOVE " + std::to_string(here) + "\nMOVE 7\nPING\n");
    CHECK(c.line() == "MOVING");
    CHECK(c.line() == "REFUSED");
    CHECK(c.line() == "MOVING");
    CHECK(c.line() == "REFUSED");
    CHECK(c.line() == "PONG");
    CHECK(shard_of(c) == here);
}

TEST_CASE_METHOD(net_fixture, "what a connection wrote before its move goes out first and whole", "[unit][net][move]")
{
    client c(port());
    const auto other = 1 - shard_of(c);
    // 3 MB is far above the outbound high watermark: the move waits for it to be written.
    c.send("BIG 3000000\nMOVE " + std::to_string(other) + "\nPING\n");
    auto big = c.line(10s);
    CHECK(big.size() == 3000000);
    CHECK(big.find_first_not_of('x') == std::string::npos);
    CHECK(c.line() == "MOVING");
    CHECK(c.line() == "MOVED " + std::to_string(other));
    CHECK(c.line() == "PONG");
}

TEST_CASE_METHOD(net_fixture,
                 "a moved connection closes on its new shard and others are unaffected",
                 "[unit][net][move]")
{
    client watcher(port());
    {
        client c(port());
        const auto other = 1 - shard_of(c);
        c.send("MOVE " + std::to_string(other) + "\n");
        CHECK(c.line() == "MOVING");
        CHECK(c.line() == "MOVED " + std::to_string(other));
        c.send("BAD\n");
        CHECK(c.line() == "ERR bad command");
        CHECK(c.line().empty());
        CHECK(c.closed);
    }
    {
        client gone(port());
        const auto other = 1 - shard_of(gone);
        gone.send("MOVE " + std::to_string(other) + "\n"); // and hangs up without waiting
    }
    watcher.send("PING\n");
    CHECK(watcher.line() == "PONG");
    // The fixture's stop() then closes whatever is left, the moved connections included.
}

TEST_CASE_METHOD(net_fixture, "a publish reports the shard that owns every queue it reached", "[unit][net][move]")
{
    sdk::queue_spec q;
    q.name = "homed";
    REQUIRE(b->admin().declare_queue(q).ok());
    client c(port());
    c.send("HOME homed x\n");
    auto line = c.line();
    REQUIRE(line.rfind("HOME ", 0) == 0);
    const auto home = line.substr(5);
    CHECK((home == "0" || home == "1"));
    c.send("HOME nowhere x\n");
    CHECK(c.line() == "HOME -"); // routed nowhere: no home
    // Moving there and asking again gives the same answer: the queue did not move.
    const auto here = shard_of(c);
    if (std::to_string(here) != home) {
        c.send("MOVE " + home + "\n");
        CHECK(c.line() == "MOVING");
        CHECK(c.line() == "MOVED " + home);
    }
    CHECK(std::to_string(shard_of(c)) == home);
    c.send("HOME homed y\n");
    CHECK(c.line() == "HOME " + home);
}
