// Exchange-to-exchange bindings, alternate exchanges and internal exchanges through the facade.
#include "broker_fixture.h"

using namespace plexus_test;

namespace {

sdk::binding_spec exchange_binding(std::string source, std::string destination, std::string key)
{
    sdk::binding_spec s;
    s.exchange = std::move(source);
    s.destination = std::move(destination);
    s.destination_is_exchange = true;
    s.key = std::move(key);
    return s;
}

} // namespace

TEST_CASE_METHOD(broker_fixture, "an exchange bound to an exchange routes on through it", "[unit][kernel][routing]")
{
    REQUIRE(declare_exchange("front", "topic").ok());
    REQUIRE(declare_exchange("orders", "direct").ok());
    REQUIRE(declare("eu-orders").ok());
    REQUIRE(declare("all").ok());
    REQUIRE(bind("orders", "eu-orders", "eu.new").ok());
    REQUIRE(bind_spec(exchange_binding("front", "orders", "eu.*")).ok());
    REQUIRE(bind("front", "all", "#").ok());
    // front -> orders -> eu-orders, and front -> all: two queues, each once.
    auto ack = publish(make_message("front", "eu.new", "o1"));
    REQUIRE(ack.ok());
    CHECK(ack->routed == 2);
    CHECK(publish(make_message("front", "us.new", "o2"))->routed == 1); // only "all"
    CHECK(info("eu-orders").messages == 1);
    CHECK(info("all").messages == 2);

    REQUIRE(unbind_spec(exchange_binding("front", "orders", "eu.*")).ok());
    CHECK(publish(make_message("front", "eu.new", "o3"))->routed == 1);
    CHECK(bind_spec(exchange_binding("front", "missing", "k")).code() == errc::not_found);
    CHECK(bind_spec(exchange_binding("front", "", "k")).code() == errc::forbidden);
}

TEST_CASE_METHOD(broker_fixture, "a cycle of exchange bindings delivers once and ends", "[unit][kernel][routing]")
{
    REQUIRE(declare_exchange("ring-a", "fanout").ok());
    REQUIRE(declare_exchange("ring-b", "fanout").ok());
    REQUIRE(declare("ring-q").ok());
    REQUIRE(bind_spec(exchange_binding("ring-a", "ring-b", "")).ok());
    REQUIRE(bind_spec(exchange_binding("ring-b", "ring-a", "")).ok());
    REQUIRE(bind("ring-b", "ring-q", "").ok());
    CHECK(publish(make_message("ring-a", "k", "round"))->routed == 1);
    CHECK(info("ring-q").messages == 1);
}

TEST_CASE_METHOD(broker_fixture,
                 "what an exchange cannot route goes to its alternate exchange",
                 "[unit][kernel][routing]")
{
    REQUIRE(declare_exchange("unrouted", "fanout").ok());
    REQUIRE(declare("unrouted-q").ok());
    REQUIRE(bind("unrouted", "unrouted-q", "").ok());
    REQUIRE(declare_exchange("primary", "direct", { { "alternate-exchange", std::string("unrouted") } }).ok());
    REQUIRE(declare("known").ok());
    REQUIRE(bind("primary", "known", "known-key").ok());
    CHECK(publish(make_message("primary", "known-key", "m1"))->routed == 1);
    CHECK(publish(make_message("primary", "other-key", "m2"))->routed == 1);
    CHECK(info("known").messages == 1);
    CHECK(info("unrouted-q").messages == 1);
    CHECK(get("unrouted-q")->value().d.msg->body.to_string() == "m2");
    // An alternate exchange that does not exist: unroutable, as without one.
    REQUIRE(declare_exchange("dangling", "direct", { { "alternate-exchange", std::string("nowhere") } }).ok());
    CHECK(publish(make_message("dangling", "k", "m3"))->routed == 0);
}

TEST_CASE_METHOD(broker_fixture,
                 "internal exchanges refuse publishes but route what is bound to them",
                 "[unit][kernel][routing]")
{
    REQUIRE(declare_exchange("inside", "fanout", {}, true).ok());
    REQUIRE(declare_exchange("outside", "fanout").ok());
    REQUIRE(declare("inside-q").ok());
    REQUIRE(bind("inside", "inside-q", "").ok());
    REQUIRE(bind_spec(exchange_binding("outside", "inside", "")).ok());
    auto refused = publish(make_message("inside", "", "direct"));
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().code() == errc::forbidden);
    CHECK(refused.error().message() == "cannot publish to internal exchange 'inside' in vhost '/'");
    CHECK(publish(make_message("outside", "", "via"))->routed == 1);
}

TEST_CASE_METHOD(broker_fixture, "deleting an exchange removes the bindings into it", "[unit][kernel][routing]")
{
    REQUIRE(declare_exchange("src", "fanout").ok());
    REQUIRE(declare_exchange("mid", "fanout").ok());
    REQUIRE(declare("mid-q").ok());
    REQUIRE(bind("mid", "mid-q", "").ok());
    REQUIRE(bind_spec(exchange_binding("src", "mid", "")).ok());
    CHECK(publish(make_message("src", "", "before"))->routed == 1);
    REQUIRE(delete_exchange("mid").ok());
    CHECK(publish(make_message("src", "", "after"))->routed == 0);
    REQUIRE(declare_exchange("mid", "fanout").ok()); // a new exchange of that name is not bound
    CHECK(publish(make_message("src", "", "again"))->routed == 0);
}

TEST_CASE_METHOD(broker_fixture, "a stream is bound to the default exchange by its name", "[unit][kernel][routing]")
{
    sdk::stream_spec s;
    s.name = "default-routed";
    REQUIRE(declare_stream(s).ok());
    CHECK(publish(make_message("", "default-routed", "r1"))->routed == 1);
    auto deleted = call<sdk::status>(
      k(), [](sdk::kernel& k, auto done) { k.delete_stream("/", "default-routed", std::move(done)); });
    REQUIRE(deleted.ok());
    CHECK(publish(make_message("", "default-routed", "r2"))->routed == 0);
}
