// AMQP content ⇄ sdk::message: properties, the headers table with its exact types, and what
// RabbitMQ refuses at publish time.
#include "message_mapping.h"

#include "plexus/sdk/dead_letter.h"

#include <catch2/catch.hpp>

using namespace plexus::protocol::amqp091;
namespace sdk = plexus::sdk;

namespace {

sdk::message_ptr publish(basic_properties p, std::string exchange = "x", std::string user = "guest")
{
    basic_publish m;
    m.exchange = std::move(exchange);
    m.routing_key = "rk";
    auto r = to_message(m, std::move(p), sdk::buffer_chain::copy_of("body"), user);
    REQUIRE(std::holds_alternative<sdk::message_ptr>(r));
    return std::get<sdk::message_ptr>(r);
}

amqp_error refused(basic_properties p)
{
    auto r = to_message(basic_publish{}, std::move(p), {}, "guest");
    REQUIRE(std::holds_alternative<amqp_error>(r));
    return std::get<amqp_error>(r);
}

} // namespace

TEST_CASE("basic properties map onto the message and back", "[amqp091][mapping]")
{
    basic_properties p;
    p.content_type = "text/plain";
    p.content_encoding = "gzip";
    p.delivery_mode = 2;
    p.priority = 4;
    p.correlation_id = "c";
    p.reply_to = "r";
    p.expiration = "1500";
    p.message_id = "m";
    p.timestamp = 1700000000;
    p.type = "t";
    p.user_id = "guest";
    p.app_id = "a";
    p.cluster_id = "cl";
    p.headers = field_table{ { "k", field_value::string("v") } };
    auto msg = publish(p);
    CHECK(msg->exchange == "x");
    CHECK(msg->routing_key == "rk");
    CHECK(msg->body.to_string() == "body");
    CHECK(msg->properties.persistent);
    CHECK(msg->properties.ttl_ms == 1500);
    CHECK(msg->properties.priority == 4);
    CHECK(msg->timestamp() == 1700000000000);
    CHECK(to_properties(*msg) == p);
}

TEST_CASE("header types travel exactly, with a hint only when needed", "[amqp091][mapping]")
{
    SECTION("what pika sends by default needs no hint")
    {
        field_table t{ { "s", field_value::string("v") },
                       { "i", field_value::integer(5, 'I') },
                       { "l", field_value::integer(1LL << 40, 'l') },
                       { "b", field_value::boolean(true) },
                       { "v", field_value::void_value() } };
        auto h = to_headers(t);
        CHECK(h.size() == 5);
        CHECK(sdk::find_header(h, types_header) == nullptr);
        CHECK(to_table(h) == t);
    }
    SECTION("other tags and nested values come back as they were")
    {
        field_table nested{ { "n", field_value::integer(1, 'b') } };
        field_table t{ { "x", field_value::string("\x01\x02", 'x') },
                       { "u", field_value::integer(7, 'u') },
                       { "T", field_value::integer(1700000000, 'T') },
                       { "F", field_value::table(nested) },
                       { "A", field_value::array({ field_value::string("a"), field_value::integer(2, 'I') }) },
                       { "D", { 'D', decimal_value{ 2, 125 } } },
                       { "f", field_value::floating(0.5, 'f') } };
        auto h = to_headers(t);
        REQUIRE(sdk::find_header(h, types_header) != nullptr);
        CHECK(std::get<std::int64_t>(*sdk::find_header(h, "u")) == 7);
        CHECK(to_table(h) == t);
    }
    SECTION("headers from other protocols get natural types; a stale hint is ignored")
    {
        sdk::headers h{ { "s", std::string("v") }, { "n", std::int64_t{ 3 } }, { "d", 2.5 } };
        auto t = to_table(h);
        CHECK(t[0].value.tag == 'S');
        CHECK(t[1].value.tag == 'I');
        CHECK(t[2].value.tag == 'd');
        h.push_back({ std::string(types_header), std::string("xx") }); // two tags for three headers
        CHECK(to_table(h) == t);
    }
}

TEST_CASE("a dead-lettered message shows its history as RabbitMQ's x-death", "[amqp091][mapping]")
{
    // As published: one header that needs a type hint; then the kernel dead-letters it.
    field_table published{ { "u", field_value::integer(7, 'u') } };
    sdk::headers h = to_headers(published);
    sdk::death_entry d;
    d.queue = "work";
    d.reason = "expired";
    d.count = 2;
    d.time_ms = 1700000000123;
    d.exchange = "orders";
    d.routing_keys = { "eu.new" };
    d.original_ttl_ms = 500;
    h.push_back({ std::string(sdk::death_header), sdk::encode_deaths({ d }) });
    h.push_back({ "x-first-death-reason", std::string("expired") });

    auto t = to_table(h);
    REQUIRE(t.size() == 3);
    CHECK(t[0] == published[0]); // the publisher's type survives what the kernel appended
    CHECK(t[1].key == "x-death");
    REQUIRE(t[1].value.tag == 'A');
    const auto& deaths = std::get<field_array>(t[1].value.value);
    REQUIRE(deaths.size() == 1);
    const auto& entry = std::get<field_table>(deaths[0].value);
    field_table expected{ { "count", field_value::integer(2, 'l') },
                          { "reason", field_value::string("expired") },
                          { "queue", field_value::string("work") },
                          { "time", field_value::integer(1700000000, 'T') },
                          { "exchange", field_value::string("orders") },
                          { "routing-keys", field_value::array({ field_value::string("eu.new") }) },
                          { "original-expiration", field_value::string("500") } };
    CHECK(entry == expected);
    CHECK(t[2] == field_entry{ "x-first-death-reason", field_value::string("expired") });

    // A client republishing it: the history comes in as the kernel's, and goes out unchanged.
    auto republished = to_headers(t);
    CHECK(sdk::find_header(republished, "x-death") == nullptr);
    CHECK(sdk::find_header(republished, sdk::death_header) != nullptr);
    CHECK(to_table(republished) == t);
}

TEST_CASE("RabbitMQ's publish-time refusals", "[amqp091][mapping]")
{
    basic_properties p;
    p.expiration = "soon";
    auto e = refused(p);
    CHECK(e.code == reply_code::precondition_failed);
    CHECK(e.text.find("invalid expiration 'soon'") != std::string::npos);
    p.expiration = "-5";
    CHECK(refused(p).code == reply_code::precondition_failed);
    basic_properties q;
    q.user_id = "mallory";
    e = refused(q);
    CHECK(e.code == reply_code::precondition_failed);
    CHECK(e.text == "user_id property set to 'mallory' but authenticated user was 'guest'");
}

TEST_CASE("amq.default is the default exchange and absent properties stay absent", "[amqp091][mapping]")
{
    auto msg = publish({}, "amq.default");
    CHECK(msg->exchange.empty());
    CHECK_FALSE(msg->properties.persistent);
    CHECK(to_properties(*msg) == basic_properties{});
}
