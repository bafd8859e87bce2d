// The x-delayed-message exchange through the facade: delays, routing by x-delayed-type once a
// delay is over, and delays that survive a restart of a durable exchange.
#include "broker_fixture.h"

using namespace plexus_test;

namespace {

sdk::message_ptr delayed(std::string exchange, std::string key, std::string body, std::int64_t delay_ms)
{
    auto m = std::make_shared<sdk::message>(*make_message(std::move(exchange), std::move(key), std::move(body)));
    m->headers_.push_back({ "x-delay", delay_ms });
    return m;
}

const sdk::headers direct_inside{ { "x-delayed-type", std::string("direct") } };

} // namespace

TEST_CASE_METHOD(broker_fixture, "a delayed message is routed once its x-delay is over", "[unit][kernel][delayed]")
{
    REQUIRE(declare_exchange("later", "x-delayed-message", direct_inside).ok());
    REQUIRE(declare("later-q").ok());
    REQUIRE(bind("later", "later-q", "k").ok());
    const auto sent = std::chrono::steady_clock::now();
    auto ack = publish(delayed("later", "k", "wait for it", 300));
    REQUIRE(ack.ok());
    CHECK(ack->routed == 1); // held counts as routed
    CHECK(publish(delayed("later", "k", "at once", 0))->routed == 1);
    std::this_thread::sleep_for(100ms);
    CHECK(info("later-q").messages == 1); // only the one without a delay
    CHECK(get("later-q")->value().d.msg->body.to_string() == "at once");
    REQUIRE(eventually([&] { return info("later-q").messages == 1; }, 3s));
    CHECK(std::chrono::steady_clock::now() - sent >= 300ms);
    auto got = get("later-q");
    const auto& m = *got->value().d.msg;
    CHECK(m.body.to_string() == "wait for it");
    // Delivered with x-delay negated, as RabbitMQ's delayed-message plugin does.
    CHECK(*sdk::find_header(m.headers_, "x-delay") == sdk::header_value(std::int64_t{ -300 }));
    CHECK(sdk::find_header(m.headers_, "x-plexus-due") == nullptr);
}

TEST_CASE_METHOD(broker_fixture, "delays are released in due order, not publish order", "[unit][kernel][delayed]")
{
    REQUIRE(declare_exchange("order", "x-delayed-message", { { "x-delayed-type", std::string("fanout") } }).ok());
    REQUIRE(declare("order-q").ok());
    REQUIRE(bind("order", "order-q", "").ok());
    REQUIRE(publish(delayed("order", "", "third", 400)).ok());
    REQUIRE(publish(delayed("order", "", "first", 100)).ok());
    REQUIRE(publish(delayed("order", "", "second", 250)).ok());
    REQUIRE(eventually([&] { return info("order-q").messages == 3; }, 3s));
    std::vector<std::string> bodies;
    for (int i = 0; i < 3; ++i) {
        bodies.push_back(get("order-q")->value().d.msg->body.to_string());
    }
    CHECK(bodies == std::vector<std::string>{ "first", "second", "third" });
}

TEST_CASE_METHOD(broker_fixture, "x-delayed-type must name an exchange type", "[unit][kernel][delayed]")
{
    auto missing = declare_exchange("bad-delay", "x-delayed-message");
    CHECK(missing.code() == errc::precondition_failed);
    CHECK(missing.message() == "Invalid argument, 'x-delayed-type' must be an existing exchange type");
    CHECK(declare_exchange("bad-delay", "x-delayed-message", { { "x-delayed-type", std::string("nope") } }).code() ==
          errc::precondition_failed);
    REQUIRE(declare_exchange("gone-delay", "x-delayed-message", direct_inside).ok());
    REQUIRE(declare("gone-q").ok());
    REQUIRE(bind("gone-delay", "gone-q", "k").ok());
    REQUIRE(publish(delayed("gone-delay", "k", "never", 200)).ok());
    REQUIRE(delete_exchange("gone-delay").ok());
    std::this_thread::sleep_for(400ms);
    CHECK(info("gone-q").messages == 0); // deleted with its exchange
}

TEST_CASE("a durable delayed exchange keeps its delays across a restart", "[unit][kernel][delayed][restart]")
{
    plexus::tests::temp_dir dir;
    auto config = test_config();
    config.data_dir = dir.path.string();
    config.storage_engines = { { "file", "{}" } };
    config.default_storage = "file";
    sdk::queue_spec q;
    q.name = "after-restart";
    q.durable = true;
    {
        broker_fixture f(config);
        REQUIRE(f.declare_exchange("durable-later", "x-delayed-message", direct_inside).ok());
        REQUIRE(f.declare(q).ok());
        REQUIRE(f.bind("durable-later", "after-restart", "k").ok());
        REQUIRE(f.publish(delayed("durable-later", "k", "released early", 50), 0, sdk::ack_level::durable).ok());
        REQUIRE(f.publish(delayed("durable-later", "k", "kept", 1500), 0, sdk::ack_level::durable).ok());
        REQUIRE(eventually([&] { return f.info("after-restart").messages == 1; }, 3s));
    }
    broker_fixture again(config);
    CHECK(again.info("after-restart").messages == 1); // the early one, not yet the kept one
    REQUIRE(eventually([&] { return again.info("after-restart").messages == 2; }, 5s));
    CHECK(again.get("after-restart")->value().d.msg->body.to_string() == "released early");
    CHECK(again.get("after-restart")->value().d.msg->body.to_string() == "kept");
    std::this_thread::sleep_for(100ms);
    CHECK(again.info("after-restart").messages == 0); // released once, not again
}
