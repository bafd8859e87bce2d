// A connection's life against the SDK fakes: protocol header, SASL, tune limits, vhost check,
// heartbeats, closing in both directions, and the connection errors of malformed input.
#include "session_harness.h"

#include "frame.h"

#include <catch2/catch.hpp>

using namespace plexus::tests::amqp091;
using namespace plexus::protocol::amqp091;
using plexus::sdk::errc;
using std::chrono_literals::operator""ms;
using std::chrono_literals::operator""s;

namespace {

connection_start_ok login(std::string mechanism, std::string response)
{
    connection_start_ok ok;
    ok.mechanism = std::move(mechanism);
    ok.response = std::move(response);
    ok.locale = "en_US";
    return ok;
}

bool flag(const field_table& props, std::string_view name)
{
    const auto* caps = find_field(props, "capabilities");
    REQUIRE(caps != nullptr);
    const auto* v = find_field(std::get<field_table>(caps->value), name);
    return v != nullptr && std::get<bool>(v->value);
}

std::string raw_frame(std::uint8_t type, std::uint16_t channel, const std::string& payload, char end = '\xce')
{
    std::string out{ static_cast<char>(type), static_cast<char>(channel >> 8), static_cast<char>(channel & 0xff) };
    auto n = static_cast<std::uint32_t>(payload.size());
    for (int s = 24; s >= 0; s -= 8) {
        out.push_back(static_cast<char>((n >> s) & 0xff));
    }
    return out + payload + end;
}

} // namespace

TEST_CASE("the handshake offers RabbitMQ's capabilities and tunes to the config", "[amqp091][session]")
{
    gateway_config config;
    config.channel_max = 100;
    config.frame_max = 65536;
    config.heartbeat_seconds = 30;
    session_harness h(config);
    h.feed(std::string(protocol_header));
    const auto& start = as<connection_start>(h.next());
    CHECK(start.version_major == 0);
    CHECK(start.version_minor == 9);
    CHECK(start.mechanisms == "PLAIN AMQPLAIN");
    for (auto cap : { "publisher_confirms",
                      "basic.nack",
                      "consumer_cancel_notify",
                      "connection.blocked",
                      "per_consumer_qos",
                      "authentication_failure_close",
                      "exchange_exchange_bindings" }) {
        INFO(cap);
        CHECK(flag(start.server_properties, cap));
    }
    h.send(0, login("PLAIN", std::string("\0guest\0guest", 12)));
    const auto& tune = as<connection_tune>(h.next());
    CHECK(tune.channel_max == 100);
    CHECK(tune.frame_max == 65536);
    CHECK(tune.heartbeat == 30);
    h.send(0, connection_tune_ok{ 0, 0, 0 });
    h.send(0, connection_open{});
    as<connection_open_ok>(h.next());
    CHECK_FALSE(h.closed());
}

TEST_CASE("a wrong protocol header is answered with ours and closed", "[amqp091][session][malformed]")
{
    SECTION("another AMQP version")
    {
        session_harness h;
        h.feed(std::string("AMQP\x01\x01\x00\x09", 8));
        CHECK(h.take_bytes() == std::string(protocol_header));
        CHECK(h.closed());
    }
    SECTION("not AMQP at all, decided from the first bytes")
    {
        session_harness h;
        h.feed("GET ");
        CHECK(h.take_bytes() == std::string(protocol_header));
        CHECK(h.closed());
    }
    SECTION("a header in two pieces is fine")
    {
        session_harness h;
        h.feed("AMQP");
        CHECK(h.take_bytes().empty());
        h.feed(std::string("\0\0\x09\x01", 4));
        as<connection_start>(h.next());
    }
}

TEST_CASE("logins are checked: guest only from loopback, others refused", "[amqp091][session]")
{
    SECTION("a wrong password")
    {
        session_harness h;
        h.feed(std::string(protocol_header));
        h.next();
        h.send(0, login("PLAIN", std::string("\0guest\0wrong", 12)));
        const auto& close = as<connection_close>(h.next());
        CHECK(close.reply_code == 403);
        CHECK(close.reply_text.starts_with("ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN"));
        CHECK(h.closed());
    }
    SECTION("guest from another host")
    {
        session_harness h({}, "10.1.2.3:5555");
        h.feed(std::string(protocol_header));
        h.next();
        h.send(0, login("PLAIN", std::string("\0guest\0guest", 12)));
        const auto& close = as<connection_close>(h.next());
        CHECK(close.reply_code == 403);
        CHECK(close.reply_text.find("user 'guest' can only connect via localhost") != std::string::npos);
        CHECK(h.closed());
    }
    SECTION("AMQPLAIN")
    {
        session_harness h;
        h.feed(std::string(protocol_header));
        h.next();
        std::string response;
        wire_writer w(response);
        w.shortstr("LOGIN");
        write_value(w, field_value::string("guest"));
        w.shortstr("PASSWORD");
        write_value(w, field_value::string("guest"));
        h.send(0, login("AMQPLAIN", response));
        as<connection_tune>(h.next());
    }
    SECTION("an unknown mechanism")
    {
        session_harness h;
        h.feed(std::string(protocol_header));
        h.next();
        h.send(0, login("EXTERNAL", ""));
        CHECK(as<connection_close>(h.next()).reply_code == 503);
    }
}

TEST_CASE("tune-ok may not exceed what the server proposed", "[amqp091][session]")
{
    session_harness h;
    h.feed(std::string(protocol_header));
    h.next();
    h.send(0, login("PLAIN", std::string("\0guest\0guest", 12)));
    const auto tune = as<connection_tune>(h.next());
    SECTION("frame-max")
    {
        h.send(0, connection_tune_ok{ 0, tune.frame_max + 1, 0 });
    }
    SECTION("channel-max")
    {
        h.send(0, connection_tune_ok{ static_cast<std::uint16_t>(tune.channel_max + 1), 0, 0 });
    }
    SECTION("frame-max below the minimum")
    {
        h.send(0, connection_tune_ok{ 0, 1024, 0 });
    }
    const auto& close = as<connection_close>(h.next());
    CHECK(close.reply_code == 530);
    CHECK(close.class_id == 10);
    CHECK(close.method_id == 31);
    h.send(0, connection_close_ok{});
    CHECK(h.closed());
}

TEST_CASE("an unknown vhost is refused with not-allowed", "[amqp091][session]")
{
    session_harness h;
    h.feed(std::string(protocol_header));
    h.next();
    h.send(0, login("PLAIN", std::string("\0guest\0guest", 12)));
    h.next();
    h.send(0, connection_tune_ok{ 0, 0, 0 });
    h.kernel.fail_next("check_vhost_access", plexus::sdk::status(errc::not_found, "no vhost 'nope'"));
    connection_open open;
    open.virtual_host = "nope";
    // A channel.open pipelined behind connection.open is discarded, not answered.
    std::string bytes;
    append_method_frame(bytes, 0, open);
    append_method_frame(bytes, 1, channel_open{});
    h.feed(bytes);
    const auto& close = as<connection_close>(h.next());
    CHECK(close.reply_code == 530);
    CHECK(close.reply_text == "NOT_ALLOWED - vhost nope not found");
    CHECK_FALSE(h.next());
}

TEST_CASE("input pipelined behind connection.open is answered after open-ok", "[amqp091][session]")
{
    session_harness h;
    h.feed(std::string(protocol_header));
    h.next();
    h.send(0, login("PLAIN", std::string("\0guest\0guest", 12)));
    h.next();
    h.send(0, connection_tune_ok{ 0, 0, 0 });
    std::string bytes;
    append_method_frame(bytes, 0, connection_open{});
    append_method_frame(bytes, 1, channel_open{});
    h.feed(bytes);
    as<connection_open_ok>(h.next());
    auto f = h.next();
    as<channel_open_ok>(f);
    CHECK(f->channel == 1);
}

TEST_CASE("heartbeats are sent when idle and a silent client is closed after two intervals", "[amqp091][session]")
{
    session_harness h;
    h.open_connection(2);
    h.take_frames();
    // The first tick saw open-ok go out; the second is idle and sends a heartbeat.
    h.exec.advance(1000ms);
    CHECK(h.take_frames().empty());
    h.exec.advance(1000ms);
    auto frames = h.take_frames();
    REQUIRE(frames.size() == 1);
    CHECK(frames.front().type == frame_type::heartbeat);
    SECTION("a client that keeps talking stays")
    {
        for (int i = 0; i < 10; ++i) {
            std::string hb;
            append_heartbeat(hb);
            h.feed(hb);
            h.exec.advance(1000ms);
            h.run();
        }
        CHECK_FALSE(h.closed());
    }
    SECTION("a silent one goes after two intervals")
    {
        // Four seconds of silence so far (since open-ok at 0 s): not yet two whole intervals
        // counted in half-interval ticks; the next tick closes.
        h.exec.advance(2000ms);
        h.run();
        CHECK_FALSE(h.closed());
        h.exec.advance(1000ms);
        h.run();
        REQUIRE(h.closed());
        CHECK(h.close_reason()->code() == errc::timed_out);
    }
}

TEST_CASE("a connection that never completes its handshake is closed", "[amqp091][session]")
{
    session_harness h;
    h.feed(std::string(protocol_header));
    h.exec.advance(10s);
    h.run();
    CHECK(h.closed());
}

TEST_CASE("closing from the client gets close-ok and releases the connection", "[amqp091][session]")
{
    session_harness h;
    h.open_connection();
    h.open_channel(1);
    h.send(0, connection_close{ 200, "bye", 0, 0 });
    as<connection_close_ok>(h.next());
    CHECK(h.closed());
    CHECK(std::count(h.kernel.calls().begin(), h.kernel.calls().end(), "release_connection") == 1);
}

TEST_CASE("framing errors close the connection with frame-error at once", "[amqp091][session][malformed]")
{
    session_harness h;
    h.open_connection();
    SECTION("a wrong end octet")
    {
        h.feed(raw_frame(1, 0, std::string("\x00\x0a\x00\x33", 4), 'X'));
    }
    SECTION("a frame over frame-max, refused from its header")
    {
        h.feed(raw_frame(3, 1, "").substr(0, 3) + std::string("\x00\x10\x00\x00", 4));
    }
    SECTION("an unknown frame type")
    {
        h.feed(raw_frame(7, 0, ""));
    }
    const auto& close = as<connection_close>(h.next());
    CHECK(close.reply_code == 501);
    CHECK(close.reply_text.starts_with("FRAME_ERROR - "));
    CHECK(h.closed());
}

TEST_CASE("connection errors name the method and wait for close-ok", "[amqp091][session][malformed]")
{
    session_harness h;
    h.open_connection();
    std::uint16_t code = 0;
    SECTION("an unknown method")
    {
        h.feed(raw_frame(1, 1, std::string("\x00\x3c\x03\xe7", 4)));
        code = 503;
    }
    SECTION("a method on a channel that is not open")
    {
        h.send(3, basic_qos{});
        code = 504;
    }
    SECTION("a second channel.open")
    {
        h.open_channel(1);
        h.send(1, channel_open{});
        code = 504;
    }
    SECTION("a non-connection method on channel 0")
    {
        h.send(0, queue_declare{});
        code = 503;
    }
    SECTION("a content header without basic.publish")
    {
        h.open_channel(1);
        std::string bytes;
        append_header_frame(bytes, 1, 3, basic_properties{});
        h.feed(bytes);
        code = 505;
    }
    SECTION("a heartbeat on a channel")
    {
        h.feed(raw_frame(8, 2, ""));
        code = 501;
    }
    SECTION("truncated arguments")
    {
        h.feed(raw_frame(1, 1, std::string("\x00\x32\x00\x0a\x00", 5)));
        code = 501;
    }
    const auto& close = as<connection_close>(h.next());
    CHECK(close.reply_code == code);
    if (code == 501) {
        CHECK(h.closed()); // some of these still have intact framing, but 501 never waits
        return;
    }
    CHECK_FALSE(h.closed());
    // Everything but close-ok is discarded now.
    h.send(1, channel_open{});
    CHECK_FALSE(h.next());
    h.send(0, connection_close_ok{});
    CHECK(h.closed());
}

TEST_CASE("a client that never answers our close is dropped", "[amqp091][session]")
{
    session_harness h;
    h.open_connection();
    h.send(0, queue_declare{});
    as<connection_close>(h.next());
    h.exec.advance(2000ms);
    h.run();
    CHECK(h.closed());
}

TEST_CASE("channels open, close from either side and reopen", "[amqp091][session]")
{
    session_harness h;
    h.open_connection();
    h.open_channel(1);
    h.open_channel(2);
    h.send(1, channel_close{ 200, "done", 0, 0 });
    auto f = h.next();
    as<channel_close_ok>(f);
    CHECK(f->channel == 1);
    h.open_channel(1);
    h.send(2, channel_flow{ false });
    CHECK_FALSE(as<channel_flow_ok>(h.next()).active);
    CHECK_FALSE(h.closed());
}

TEST_CASE("under a resource alarm a publishing client is blocked, and unblocked after", "[amqp091][session]")
{
    auto publish = [](session_harness& h) {
        basic_publish p;
        p.routing_key = "q";
        h.send_content(1, p, basic_properties{}, "x");
    };
    SECTION("raised while connected, then cleared")
    {
        session_harness h;
        h.open_connection();
        h.open_channel(1);
        h.kernel.set_alarms({ true });
        h.run();
        CHECK_FALSE(h.next()); // consumers are not told anything
        publish(h);
        CHECK(as<connection_blocked>(h.next()).reason == "low on disk");
        publish(h);
        CHECK_FALSE(h.next()); // once
        h.kernel.set_alarms({ false });
        h.run();
        as<connection_unblocked>(h.next());
    }
    SECTION("already raised when the connection opens")
    {
        session_harness h;
        h.kernel.set_alarms({ true });
        h.open_connection();
        h.open_channel(1);
        publish(h);
        as<connection_blocked>(h.next());
    }
    SECTION("a client without the capability hears nothing")
    {
        session_harness h;
        h.open_connection(0, "/", false);
        h.open_channel(1);
        h.kernel.set_alarms({ true });
        h.run();
        publish(h);
        CHECK_FALSE(h.next());
    }
}
