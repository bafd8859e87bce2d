// The adapter session against the SDK fakes: the upgrade on the kernel's connection, then an
// inner session (a recorder that consumes whole lines, as a gateway consumes whole frames)
// fed the unmasked payload, its writes framed, and every way the connection closes.
#include "client_frames.h"
#include "websocket_session.h"

#include "plexus/sdk/testing/fake_connection.h"

#include <catch2/catch.hpp>

using namespace plexus::protocol::websocket;
using namespace plexus::protocol::websocket::testing;
namespace sdk = plexus::sdk;
namespace fake = plexus::sdk::testing;

namespace {

const std::string upgrade_request = "GET /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
                                    "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                    "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n";

/// What the inner session saw and did.
struct inner_log
{
    std::vector<std::string> lines;
    std::size_t writable = 0;
    std::optional<sdk::status> closed;
    sdk::connection* conn = nullptr;
    std::optional<sdk::status> fail_with; ///< on_data returns this once set
};

/// A protocol whose frames are lines: consumes each whole line and leaves a partial one.
class line_session final : public sdk::protocol_session
{
  public:
    line_session(sdk::connection& conn, inner_log& log)
      : _log(log)
    {
        _log.conn = &conn;
    }
    sdk::status on_data(sdk::buffer_chain& in) noexcept override
    {
        auto text = in.to_string();
        std::size_t used = 0;
        for (auto nl = text.find('\n'); nl != std::string::npos; nl = text.find('\n', used)) {
            _log.lines.push_back(text.substr(used, nl - used));
            used = nl + 1;
        }
        in.trim_front(used);
        if (_log.fail_with) {
            return *_log.fail_with;
        }
        return {};
    }
    void on_writable() noexcept override { ++_log.writable; }
    void on_close(const sdk::status& why) noexcept override { _log.closed = why; }

  private:
    inner_log& _log;
};

/// Keeps what the transport logs.
struct recording_logger final : sdk::logger
{
    bool enabled(sdk::log_level) const noexcept override { return true; }
    void write(sdk::log_level, std::string_view text) noexcept override { lines.emplace_back(text); }
    std::vector<std::string> lines;
};

struct harness
{
    recording_logger log;
    fake::fake_executor exec;
    fake::fake_connection conn{ exec };
    session_options options;
    inner_log inner;
    bool make_fails = false;
    std::unique_ptr<websocket_session> s;
    sdk::buffer_chain in;
    std::optional<sdk::status> closed_by_data;

    explicit harness(std::uint64_t max_message = 1000)
    {
        options.upgrade.subprotocols = { "mqtt", "mqttv3.1" };
        options.max_message_bytes = max_message;
        options.handshake_timeout = std::chrono::milliseconds(5000);
        s = std::make_unique<websocket_session>(conn, options, log, [this](sdk::connection& c) {
            return make_fails ? nullptr : std::make_unique<line_session>(c, inner);
        });
    }
    void feed(const std::string& bytes)
    {
        in.append(sdk::bytes::copy_of(bytes));
        auto st = s->on_data(in);
        exec.run_all();
        if (!st.ok()) {
            closed_by_data = st;
        }
    }
    void open()
    {
        feed(upgrade_request);
        auto out = conn.take_written();
        REQUIRE(out.starts_with("HTTP/1.1 101 Switching Protocols\r\n"));
        REQUIRE(inner.conn != nullptr);
    }
    /// Every frame written so far.
    std::vector<server_frame> frames()
    {
        std::string w = conn.take_written();
        std::vector<server_frame> out;
        while (!w.empty()) {
            out.push_back(read_server_frame(w));
        }
        return out;
    }
};

} // namespace

TEST_CASE("after the upgrade, data frames reach the inner session unmasked", "[websocket][session]")
{
    harness h;
    h.open();
    h.feed(text("CONNECT\n") + binary("SEND\n"));
    CHECK(h.inner.lines == std::vector<std::string>{ "CONNECT", "SEND" });
    CHECK_FALSE(h.closed_by_data);
}

TEST_CASE("the inner session's partial frame is kept across WebSocket messages", "[websocket][session]")
{
    harness h;
    h.open();
    h.feed(binary("one\ntw"));
    CHECK(h.inner.lines == std::vector<std::string>{ "one" });
    h.feed(binary("o\nthr"));
    h.feed(client_frame(0x02, "e") + client_frame(0x00, "e\nfo")); // fragments too
    h.feed(client_frame(fin | 0x00, "ur\n"));
    CHECK(h.inner.lines == std::vector<std::string>{ "one", "two", "three", "four" });
}

TEST_CASE("bytes pipelined after the request head are frames", "[websocket][session]")
{
    harness h;
    h.feed(upgrade_request + text("early\n"));
    CHECK(h.conn.take_written().starts_with("HTTP/1.1 101 "));
    CHECK(h.inner.lines == std::vector<std::string>{ "early" });
}

TEST_CASE("a request arriving in pieces is answered once it is whole", "[websocket][session]")
{
    harness h;
    h.feed(upgrade_request.substr(0, 20));
    CHECK(h.conn.written().empty());
    CHECK(h.inner.conn == nullptr); // the inner session starts only after the upgrade
    h.feed(upgrade_request.substr(20));
    CHECK(h.conn.take_written().starts_with("HTTP/1.1 101 "));
    CHECK(h.inner.conn != nullptr);
}

TEST_CASE("what the inner session writes goes out as one unmasked message per write", "[websocket][session]")
{
    for (auto op : { opcode::binary, opcode::text }) {
        harness h;
        h.options.data_opcode = op;
        h.s = std::make_unique<websocket_session>(
          h.conn, h.options, h.log, [&h](sdk::connection& c) { return std::make_unique<line_session>(c, h.inner); });
        h.open();
        h.inner.conn->write(sdk::buffer_chain::copy_of("CONNACK"));
        sdk::buffer_chain big;
        big.append(sdk::bytes::copy_of(std::string(70000, 'a')));
        big.append(sdk::bytes::copy_of(std::string(5, 'b')));
        h.inner.conn->write(big);
        auto fs = h.frames();
        REQUIRE(fs.size() == 2);
        CHECK(fs[0].op == static_cast<std::uint8_t>(op));
        CHECK(fs[0].fin);
        CHECK_FALSE(fs[0].masked);
        CHECK(fs[0].payload == "CONNACK");
        CHECK(fs[1].payload.size() == 70005);
        // The rest of the connection is the kernel's.
        CHECK(h.inner.conn->id() == h.conn.id());
        CHECK(h.inner.conn->peer().address == h.conn.peer().address);
        CHECK(&h.inner.conn->exec() == &h.conn.exec());
        h.conn.set_above_high_watermark(true);
        CHECK(h.inner.conn->above_high_watermark());
    }
}

TEST_CASE("ping is answered with pong carrying its payload, pong is ignored", "[websocket][session]")
{
    harness h;
    h.open();
    h.feed(client_frame(fin | 0x9, "are you there") + client_frame(fin | 0xA, "unsolicited"));
    auto fs = h.frames();
    REQUIRE(fs.size() == 1);
    CHECK(fs[0].op == 0xA);
    CHECK(fs[0].payload == "are you there");
    CHECK_FALSE(h.closed_by_data);
}

TEST_CASE("a client close is echoed and ends the connection, after the data before it", "[websocket][session]")
{
    harness h;
    h.open();
    h.feed(text("last\n") + client_frame(fin | 0x8, std::string("\x03\xe8", 2) + "bye"));
    CHECK(h.inner.lines == std::vector<std::string>{ "last" });
    auto fs = h.frames();
    REQUIRE(fs.size() == 1);
    CHECK(fs[0].op == 0x8);
    CHECK(close_status(fs[0]) == 1000);
    REQUIRE(h.closed_by_data);
    // The inner session hears of it from the kernel's on_close, as from a TCP close.
    h.s->on_close(*h.closed_by_data);
    REQUIRE(h.inner.closed);
    // Nothing is written after the close frame.
    h.inner.conn->write(sdk::buffer_chain::copy_of("late"));
    CHECK(h.conn.written().empty());
}

TEST_CASE("an unmasked client frame closes with 1002", "[websocket][session]")
{
    harness h;
    h.open();
    h.feed(client_frame(fin | 0x2, "x\n", false));
    auto fs = h.frames();
    REQUIRE(fs.size() == 1);
    CHECK(fs[0].op == 0x8);
    CHECK(close_status(fs[0]) == 1002);
    REQUIRE(h.closed_by_data);
    CHECK(h.closed_by_data->code() == sdk::errc::protocol_error);
    CHECK(h.inner.lines.empty());
}

TEST_CASE("a message over the limit closes with 1009, so does a partial inner frame that large", "[websocket][session]")
{
    harness h(100);
    h.open();
    h.feed(binary(std::string(101, 'x')));
    auto fs = h.frames();
    REQUIRE(fs.size() == 1);
    CHECK(close_status(fs[0]) == 1009);
    REQUIRE(h.closed_by_data);

    harness tail(100);
    tail.open();
    tail.feed(binary(std::string(60, 'x')));
    CHECK_FALSE(tail.closed_by_data);
    tail.feed(binary(std::string(60, 'x'))); // each message fits; the unconsumed line does not
    fs = tail.frames();
    REQUIRE(fs.size() == 1);
    CHECK(close_status(fs[0]) == 1009);
    REQUIRE(tail.closed_by_data);
}

TEST_CASE("the inner session closing sends a close frame first", "[websocket][session]")
{
    SECTION("a normal close is 1000")
    {
        harness h;
        h.open();
        h.inner.conn->close(sdk::status(sdk::errc::unavailable, "DISCONNECT"));
        auto fs = h.frames();
        REQUIRE(fs.size() == 1);
        CHECK(close_status(fs[0]) == 1000);
        REQUIRE(h.conn.closed());
        CHECK(h.conn.flushed_on_close());
    }
    SECTION("a protocol error is 1002, after the inner session's own error")
    {
        harness h;
        h.open();
        h.inner.fail_with = sdk::status(sdk::errc::protocol_error, "malformed frame");
        h.inner.conn->write(sdk::buffer_chain::copy_of("ERROR"));
        h.feed(text("bad\n"));
        auto fs = h.frames();
        REQUIRE(fs.size() == 2);
        CHECK(fs[0].payload == "ERROR");
        CHECK(close_status(fs[1]) == 1002);
        CHECK(fs[1].payload.substr(2) == "malformed frame");
        REQUIRE(h.closed_by_data);
        CHECK(h.closed_by_data->message() == "malformed frame");
    }
    SECTION("a broker failure is 1011")
    {
        harness h;
        h.open();
        h.inner.conn->close(sdk::status(sdk::errc::internal, "boom"), false);
        auto fs = h.frames();
        REQUIRE(fs.size() == 1);
        CHECK(close_status(fs[0]) == 1011);
        CHECK_FALSE(h.conn.flushed_on_close());
    }
}

TEST_CASE("refused upgrades get their HTTP answer and close, with no inner session", "[websocket][session]")
{
    harness h;
    h.feed("GET /other HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    CHECK(h.conn.take_written().starts_with("HTTP/1.1 404 Not Found\r\n"));
    REQUIRE(h.closed_by_data);
    REQUIRE(h.log.lines.size() == 1);
    CHECK(h.log.lines[0] ==
          "connection 127.0.0.1:40000: WebSocket upgrade refused (404): no WebSocket endpoint at /other");
    CHECK(h.inner.conn == nullptr);
    h.s->on_close(*h.closed_by_data); // the kernel's close finds nothing to forward to

    harness plain;
    plain.feed("CONNECT\naccept-version:1.2\n\n"); // a TCP client on the WebSocket port
    plain.feed("\r\n\r\n");
    CHECK(plain.conn.take_written().starts_with("HTTP/1.1 400 Bad Request\r\n"));
    REQUIRE(plain.closed_by_data);
}

TEST_CASE("the request head is bounded in size and time", "[websocket][session]")
{
    harness big;
    big.feed("GET /ws HTTP/1.1\r\nX-Filler: " + std::string(9000, 'f'));
    CHECK(big.conn.take_written().starts_with("HTTP/1.1 431 "));
    REQUIRE(big.closed_by_data);

    harness slow;
    slow.feed("GET /ws HTTP/1.1\r\n");
    slow.exec.advance(std::chrono::milliseconds(4999));
    CHECK_FALSE(slow.conn.closed());
    slow.exec.advance(std::chrono::milliseconds(1));
    REQUIRE(slow.conn.closed());
    CHECK(slow.conn.closed()->code() == sdk::errc::timed_out);

    harness upgraded;
    upgraded.open();
    upgraded.exec.advance(std::chrono::milliseconds(10000));
    CHECK_FALSE(upgraded.conn.closed()); // once upgraded, timing is the inner protocol's
}

TEST_CASE("on_writable and on_close reach the inner session", "[websocket][session]")
{
    harness h;
    h.open();
    h.s->on_writable();
    CHECK(h.inner.writable == 1);
    h.s->on_close(sdk::status(sdk::errc::unavailable, "peer closed the connection"));
    REQUIRE(h.inner.closed);
    CHECK(h.inner.closed->message() == "peer closed the connection");
}

TEST_CASE("an inner session that cannot be made closes with 1011", "[websocket][session]")
{
    harness h;
    h.make_fails = true;
    h.feed(upgrade_request);
    auto out = h.conn.take_written();
    REQUIRE(out.starts_with("HTTP/1.1 101 "));
    out.erase(0, out.find("\r\n\r\n") + 4);
    auto f = read_server_frame(out);
    CHECK(close_status(f) == 1011);
    REQUIRE(h.closed_by_data);
}
