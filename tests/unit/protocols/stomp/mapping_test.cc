// Destinations, header ⇄ property mapping, heart-beat negotiation and the login rule.
#include "destination.h"
#include "heart_beat.h"
#include "login.h"
#include "message_mapping.h"
#include "queue_arguments.h"

#include "plexus/sdk/testing/fake_kernel.h"

#include <catch2/catch.hpp>

using namespace plexus::protocol::stomp;
namespace sdk = plexus::sdk;

namespace {

destination parsed(std::string_view text)
{
    auto d = parse_destination(text);
    REQUIRE(std::holds_alternative<destination>(d));
    return std::get<destination>(d);
}

} // namespace

TEST_CASE("destinations parse as RabbitMQ names them", "[stomp][mapping]")
{
    auto q = parsed("/queue/orders");
    CHECK((q.kind == destination_kind::queue && q.name == "orders"));
    auto t = parsed("/topic/a.b.*");
    CHECK((t.kind == destination_kind::topic && t.key == "a.b.*"));
    auto x = parsed("/exchange/ex/k.1");
    CHECK((x.kind == destination_kind::exchange && x.name == "ex" && x.key == "k.1"));
    auto xk = parsed("/exchange/ex");
    CHECK((xk.kind == destination_kind::exchange && xk.name == "ex" && xk.key.empty()));
    auto a = parsed("/amq/queue/existing");
    CHECK((a.kind == destination_kind::amq_queue && a.name == "existing"));
    auto tq = parsed("/temp-queue/replies");
    CHECK((tq.kind == destination_kind::temp_queue && tq.name == "replies"));
    auto rq = parsed("/reply-queue/amq.gen-1");
    CHECK((rq.kind == destination_kind::reply_queue && rq.name == "amq.gen-1"));
    for (auto bad : { "/queue/", "/queue/a/b", "/topic/", "/exchange/", "/exchange//k", "queue/a", "/foo/a", "" }) {
        INFO(bad);
        auto d = parse_destination(bad);
        REQUIRE(std::holds_alternative<frame_error>(d));
        CHECK(std::get<frame_error>(d).message == "Invalid destination");
    }
}

TEST_CASE("the MESSAGE destination comes from the exchange and routing key", "[stomp][mapping]")
{
    CHECK(destination_of("", "q") == "/queue/q");
    CHECK(destination_of("amq.topic", "a.b") == "/topic/a.b");
    CHECK(destination_of("x", "k") == "/exchange/x/k");
}

TEST_CASE("SEND headers map onto the message properties amqp091 uses", "[stomp][mapping]")
{
    frame f;
    f.cmd = command::send;
    f.add("destination", "/queue/a");
    f.add("receipt", "r");
    f.add("content-type", "application/json");
    f.add("content-encoding", "gzip");
    f.add("correlation-id", "c1");
    f.add("reply-to", "/queue/replies");
    f.add("amqp-message-id", "m1");
    f.add("type", "order");
    f.add("app-id", "shop");
    f.add("user-id", "guest");
    f.add("persistent", "true");
    f.add("priority", "7");
    f.add("expiration", "60000");
    f.add("timestamp", "1700000000");
    f.add("x-custom", "v");
    f.add("x-custom", "ignored: the first wins");
    f.body = sdk::buffer_chain::copy_of("body");
    auto made = to_message(f, "guest", 0);
    REQUIRE(std::holds_alternative<std::shared_ptr<sdk::message>>(made));
    const auto& m = *std::get<std::shared_ptr<sdk::message>>(made);
    CHECK(m.properties.content_type == "application/json");
    CHECK(m.properties.content_encoding == "gzip");
    CHECK(m.properties.correlation_id == "c1");
    CHECK(m.properties.reply_to == "/queue/replies");
    CHECK(m.properties.message_id == "m1");
    CHECK(m.properties.type == "order");
    CHECK(m.properties.app_id == "shop");
    CHECK(m.properties.user_id == "guest");
    CHECK(m.properties.persistent);
    CHECK(m.properties.priority == 7);
    CHECK(m.properties.ttl_ms == 60000);
    CHECK(m.timestamp() == 1700000000000);
    REQUIRE(m.headers_.size() == 1);
    CHECK(m.headers_[0] == sdk::header{ "x-custom", std::string("v") });
    CHECK(m.body.to_string() == "body");

    frame out;
    add_message_headers(m, version::v1_2, out);
    CHECK(*out.header("content-type") == "application/json");
    CHECK(*out.header("persistent") == "true");
    CHECK(*out.header("priority") == "7");
    CHECK(*out.header("expiration") == "60000");
    CHECK(*out.header("timestamp") == "1700000000");
    CHECK(*out.header("amqp-message-id") == "m1");
    CHECK(*out.header("x-custom") == "v");
    CHECK(out.header("destination") == nullptr);
}

TEST_CASE("ActiveMQ's absolute expires becomes a time to live", "[stomp][mapping]")
{
    const std::int64_t now = 1'700'000'000'000;
    auto ttl_of = [&](std::vector<std::pair<std::string, std::string>> headers) {
        frame f;
        for (auto& [k, v] : headers) {
            f.add(k, v);
        }
        auto made = to_message(f, "guest", now);
        REQUIRE(std::holds_alternative<std::shared_ptr<sdk::message>>(made));
        return std::get<std::shared_ptr<sdk::message>>(made)->properties.ttl_ms;
    };
    CHECK(ttl_of({ { "expires", std::to_string(now + 5000) } }) == 5000);
    CHECK(ttl_of({ { "expires", std::to_string(now - 1) } }) == 0); // already past: expires on arrival
    CHECK_FALSE(ttl_of({ { "expires", "0" } }));                    // 0: never
    CHECK(ttl_of({ { "expires", std::to_string(now + 5000) }, { "expiration", "2000" } }) == 2000);
    CHECK(ttl_of({ { "expiration", "9000" }, { "expires", std::to_string(now + 5000) } }) == 5000);
}

TEST_CASE("bad property values are refused with the header named", "[stomp][mapping]")
{
    for (auto [key, value] : std::vector<std::pair<std::string, std::string>>{ { "priority", "high" },
                                                                               { "priority", "256" },
                                                                               { "expiration", "-1" },
                                                                               { "expires", "soon" },
                                                                               { "expires", "-5" },
                                                                               { "user-id", "mallory" } }) {
        frame f;
        f.add(key, value);
        auto made = to_message(f, "guest", 0);
        REQUIRE(std::holds_alternative<frame_error>(made));
        CHECK(std::get<frame_error>(made).message == "Bad header value");
    }
}

TEST_CASE("headers of other protocols come out as text, frame headers never", "[stomp][mapping]")
{
    sdk::message m;
    m.headers_ = { { "n", std::int64_t(42) },
                   { "b", true },
                   { "d", 1.5 },
                   { "content-length", std::string("9") },
                   { "message-id", std::string("x") },
                   { "bad:name", std::string("v") } };
    frame out;
    add_message_headers(m, version::v1_2, out);
    CHECK(*out.header("n") == "42");
    CHECK(*out.header("b") == "true");
    CHECK(*out.header("d") == "1.5");
    CHECK(out.header("content-length") == nullptr);
    CHECK(out.header("message-id") == nullptr);
    CHECK(*out.header("bad:name") == "v"); // escaped on the wire in 1.1 and 1.2
    frame old;
    add_message_headers(m, version::v1_0, old);
    CHECK(old.header("bad:name") == nullptr); // 1.0 cannot carry it
}

TEST_CASE("heart-beats: the gateway agrees to what the client asks, above its floor", "[stomp][mapping]")
{
    auto hb = [](std::string s) { return negotiate_heart_beat(&s, 100); };
    CHECK(negotiate_heart_beat(nullptr, 100)->send_ms == 0);
    auto a = hb("5000,10000");
    REQUIRE(a);
    CHECK(a->send_ms == 10000);   // the client wants one every 10 s
    CHECK(a->receive_ms == 5000); // and sends one every 5 s
    CHECK(a->header() == "10000,5000");
    auto b = hb("0, 10");
    REQUIRE(b);
    CHECK(b->send_ms == 100);
    CHECK(b->receive_ms == 0);
    CHECK_FALSE(hb("10"));
    CHECK_FALSE(hb("a,b"));
    CHECK_FALSE(hb("-1,0"));
}

TEST_CASE("logins are the broker's users, and no login means guest", "[stomp][mapping]")
{
    sdk::testing::fake_executor exec;
    sdk::testing::fake_kernel kernel(exec); // guest/guest from loopback, and app/s3cret
    kernel.add_user("app", "s3cret");
    sdk::peer_info local{ "127.0.0.1:1", true, {}, 0 };
    sdk::peer_info remote{ "10.0.0.1:1", false, {}, 0 };
    const std::string guest = "guest";
    const std::string wrong = "nope";
    const std::string app = "app";
    const std::string secret = "s3cret";
    CHECK_FALSE(refuse_login(kernel, &guest, &guest, local));
    CHECK_FALSE(refuse_login(kernel, nullptr, nullptr, local));
    CHECK_FALSE(refuse_login(kernel, &app, &secret, remote));
    CHECK(*refuse_login(kernel, &guest, &wrong, local) == "Access refused for user 'guest'");
    CHECK(refuse_login(kernel, &guest, nullptr, local));
    CHECK(refuse_login(kernel, &wrong, &wrong, local));
    CHECK(*refuse_login(kernel, &guest, &guest, remote) == "user 'guest' can only connect via localhost");
}

TEST_CASE("queue arguments and x-stream-offset come from headers, typed as the kernel reads them", "[stomp][mapping]")
{
    frame f;
    f.add("x-message-ttl", "1500");
    f.add("x-dead-letter-exchange", "");
    f.add("x-single-active-consumer", "true");
    f.add("x-queue-type", "stream");
    f.add("x-stream-offset", "offset=42");
    auto args = queue_arguments(f);
    REQUIRE(std::holds_alternative<sdk::headers>(args));
    const auto& h = std::get<sdk::headers>(args);
    CHECK(*sdk::find_header(h, "x-message-ttl") == sdk::header_value(std::int64_t{ 1500 }));
    CHECK(*sdk::find_header(h, "x-dead-letter-exchange") == sdk::header_value(std::string()));
    CHECK(*sdk::find_header(h, "x-single-active-consumer") == sdk::header_value(true));
    CHECK(*sdk::find_header(h, "x-queue-type") == sdk::header_value(std::string("stream")));
    CHECK(sdk::find_header(h, "x-stream-offset") == nullptr); // a consume option, not a queue argument
    auto start = stream_offset(f);
    REQUIRE(std::holds_alternative<std::optional<sdk::stream_start>>(start));
    const auto& s = std::get<std::optional<sdk::stream_start>>(start);
    REQUIRE(s);
    CHECK(s->from == sdk::stream_start::kind::at_offset);
    CHECK(s->at == sdk::offset(42));

    frame bad;
    bad.add("x-max-length", "ten");
    auto refused = queue_arguments(bad);
    REQUIRE(std::holds_alternative<frame_error>(refused));
    CHECK(std::get<frame_error>(refused).detail.find("x-max-length") != std::string::npos);
    frame bad_offset;
    bad_offset.add("x-stream-offset", "yesterday");
    CHECK(std::holds_alternative<frame_error>(stream_offset(bad_offset)));
    frame none;
    CHECK_FALSE(std::get<std::optional<sdk::stream_start>>(stream_offset(none)).has_value());
}
