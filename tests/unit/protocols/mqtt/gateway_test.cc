// The gateway's pieces below the session: the message mapping (both directions, expiry),
// the listener config, credentials and the retained store.
#include "credentials.h"
#include "gateway_config.h"
#include "message_mapping.h"
#include "retained_store.h"

#include "plexus/sdk/testing/fake_kernel.h"

#include <catch2/catch.hpp>

using namespace plexus::protocol::mqtt;
using plexus::sdk::buffer_chain;
using plexus::sdk::timestamp_ms;

TEST_CASE("a PUBLISH maps to amq.topic with its properties and back", "[mqtt][mapping]")
{
    publish_packet p;
    p.topic = "site/v1.2/temp";
    p.qos = 1;
    p.retain = true;
    p.props.content_type = "text/plain";
    p.props.correlation_data = std::string("\x00id", 3);
    p.props.response_topic = "replies/1";
    p.props.message_expiry_interval = 10;
    p.props.payload_format_indicator = 1;
    p.props.user_properties = { { "a", "1" }, { "a", "2" } };
    p.payload = buffer_chain::copy_of("21.5");
    auto msg = to_message(p, "dev-1", timestamp_ms(1000000));
    CHECK(msg->exchange == "amq.topic");
    CHECK(msg->routing_key == "site.v1/2.temp");
    CHECK(msg->properties.content_type == "text/plain");
    CHECK(msg->properties.correlation_id == std::string("\x00id", 3));
    CHECK(msg->properties.reply_to == "replies/1");
    CHECK(msg->properties.ttl_ms == 10000);
    CHECK(msg->properties.persistent);
    CHECK(published_qos(*msg) == 1);
    CHECK(published_retained(*msg));
    CHECK(publisher_of(*msg) == "dev-1");

    auto back = to_publish(*msg, timestamp_ms(1004500));
    REQUIRE(back);
    CHECK(back->topic == "site/v1.2/temp");
    CHECK(back->props.content_type == p.props.content_type);
    CHECK(back->props.correlation_data == p.props.correlation_data);
    CHECK(back->props.response_topic == p.props.response_topic);
    CHECK(back->props.payload_format_indicator == 1);
    CHECK(back->props.user_properties == p.props.user_properties); // no x-plexus-mqtt- headers
    CHECK(back->props.message_expiry_interval == 6);               // 5.5 s left, rounded up
    CHECK(back->payload.to_string() == "21.5");
    CHECK_FALSE(to_publish(*msg, timestamp_ms(1010000))); // expired
}

TEST_CASE("messages from other protocols count as QoS 2 and their headers become text", "[mqtt][mapping]")
{
    plexus::sdk::message m;
    m.routing_key = "a.b";
    m.headers_ = { { "n", std::int64_t{ 5 } }, { "t", true }, { "s", std::string("v") } };
    CHECK(published_qos(m) == 2);
    CHECK_FALSE(published_retained(m));
    CHECK(publisher_of(m).empty());
    auto p = to_publish(m, timestamp_ms(0));
    REQUIRE(p);
    CHECK(p->topic == "a/b");
    CHECK(p->props.user_properties == std::vector<user_property>{ { "n", "5" }, { "t", "true" }, { "s", "v" } });
}

TEST_CASE("the listener config has defaults, bounds and no unknown keys", "[mqtt][config]")
{
    auto d = parse_gateway_config("");
    REQUIRE(d);
    CHECK(d->allow_anonymous);
    CHECK(d->max_packet_size == 1u << 20);
    CHECK(d->outbound_topic_alias_maximum == 64);
    CHECK(d->follow_queue_shard);
    auto c = parse_gateway_config(
      R"({"allow_anonymous": false, "receive_maximum": 10, "topic_alias_maximum": 0, "outbound_topic_alias_maximum": 0,)"
      R"( "follow_queue_shard": false})");
    REQUIRE(c);
    CHECK_FALSE(c->allow_anonymous);
    CHECK_FALSE(c->follow_queue_shard);
    CHECK_FALSE(parse_gateway_config(R"({"follow_queue_shard": 1})"));
    CHECK(c->receive_maximum == 10);
    CHECK(c->topic_alias_maximum == 0);
    CHECK(c->outbound_topic_alias_maximum == 0);
    CHECK_FALSE(parse_gateway_config(R"({"outbound_topic_alias_maximum": 65536})"));
    CHECK_FALSE(parse_gateway_config(R"({"outbound_topic_alias_maximum": -1})"));
    CHECK_FALSE(parse_gateway_config(R"({"receive_maximum": 70000})"));
    CHECK_FALSE(parse_gateway_config(R"({"receive_maximum": 0})"));
    CHECK_FALSE(parse_gateway_config(R"({"bogus": 1})"));
}

TEST_CASE("a listener is tcp by default, MQTT over WebSockets with transport: websocket", "[mqtt][config]")
{
    CHECK_FALSE(parse_gateway_config("")->transport.websocket);
    auto ws = parse_gateway_config(R"({"transport": "websocket", "websocket_path": "/mqtt"})");
    REQUIRE(ws);
    CHECK(ws->transport.websocket);
    CHECK(ws->transport.path == "/mqtt");
    auto bad = parse_gateway_config(R"({"transport": "websocket", "websocket_path": "mqtt"})");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message().starts_with("mqtt listener config key 'websocket_path': "));
}

TEST_CASE("logins are the broker's users, and anonymous connects from loopback only", "[mqtt][auth]")
{
    plexus::sdk::testing::fake_executor exec;
    plexus::sdk::testing::fake_kernel kernel(exec); // guest/guest from loopback, and app/s3cret
    kernel.add_user("app", "s3cret");
    gateway_config config;
    plexus::sdk::peer_info local{ "127.0.0.1:1", true, {}, 0 };
    plexus::sdk::peer_info remote{ "10.0.0.1:1", false, {}, 0 };
    CHECK(authenticate(kernel, std::nullopt, std::nullopt, local, config) == reason_code::success);
    CHECK(authenticate(kernel, std::nullopt, std::nullopt, remote, config) == reason_code::not_authorized);
    CHECK(authenticate(kernel, std::string("app"), std::string("s3cret"), remote, config) == reason_code::success);
    CHECK(authenticate(kernel, std::string("app"), std::nullopt, remote, config) ==
          reason_code::bad_user_name_or_password);
    CHECK(authenticate(kernel, std::string("guest"), std::string("guest"), remote, config) ==
          reason_code::not_authorized);
    CHECK(authenticate(kernel, std::string("nobody"), std::string("x"), local, config) ==
          reason_code::bad_user_name_or_password);
    config.allow_anonymous = false;
    CHECK(authenticate(kernel, std::nullopt, std::nullopt, local, config) == reason_code::not_authorized);
}

TEST_CASE("retained messages are kept per vhost, matched by filters and cleared by empty ones", "[mqtt][retained]")
{
    retained_store store;
    auto msg = [](const char* body) {
        auto m = std::make_shared<plexus::sdk::message>();
        m->body = buffer_chain::copy_of(body);
        return plexus::sdk::message_ptr(m);
    };
    store.set("/", "a/b", msg("1"));
    store.set("/", "a/c", msg("2"));
    store.set("/", "$SYS/x", msg("3"));
    store.set("other", "a/b", msg("4"));
    CHECK(store.matching("/", "a/+").size() == 2);
    CHECK(store.matching("/", "a/b").size() == 1);
    CHECK(store.matching("/", "#").size() == 2); // not $SYS
    CHECK(store.matching("other", "#").size() == 1);
    store.set("/", "a/b", msg(""));
    CHECK(store.matching("/", "a/+").size() == 1);
}

TEST_CASE("retained messages are written through to the plugin store and loaded from it", "[mqtt][retained]")
{
    plexus::sdk::testing::fake_executor exec;
    plexus::sdk::testing::fake_kernel kernel{ exec };
    auto msg = [](const char* body) {
        auto m = std::make_shared<plexus::sdk::message>();
        m->body = buffer_chain::copy_of(body);
        m->properties.content_type = "text/plain";
        return plexus::sdk::message_ptr(m);
    };
    auto& kv = kernel.plugin_store("mqtt");
    {
        retained_store before;
        before.set("/", "kept/early", msg("set before attach")); // memory only: not yet backed
        before.attach(kv, kernel.log("protocol.mqtt"));
        before.set("/", "a/b", msg("one"));
        before.set("/", "a/b", msg("two"));
        before.set("tenant/x", "a/b", msg("other vhost"));
        before.set("/", "a/c", msg("cleared"));
        before.set("/", "a/c", msg(""));
    }
    CHECK(kv.scan("retained/")->size() == 2);
    retained_store after; // as after a restart
    after.attach(kv, kernel.log("protocol.mqtt"));
    after.attach(kv, kernel.log("protocol.mqtt")); // a second attach loads nothing twice
    auto got = after.matching("/", "#");
    REQUIRE(got.size() == 1);
    CHECK(got[0].first == "a/b");
    CHECK(got[0].second->body.to_string() == "two");
    CHECK(got[0].second->properties.content_type == "text/plain");
    REQUIRE(after.matching("tenant/x", "a/b").size() == 1);
    CHECK(after.matching("tenant/x", "a/b")[0].second->body.to_string() == "other vhost");
    SECTION("a value that does not decode is skipped, the rest load")
    {
        std::vector<plexus::sdk::kv_store::write> bad;
        bad.push_back({ std::string("retained/") + std::string(1, '/') + std::string(1, '\0') + "bad", "\x01garbage" });
        kv.apply(std::move(bad), nullptr);
        retained_store again;
        again.attach(kv, kernel.log("protocol.mqtt"));
        CHECK(again.matching("/", "#").size() == 1);
    }
}
