// Queue policies through the facade: TTLs, max length and overflow, dead-lettering with its
// history, x-expires, and the declare-time checks of their arguments.
#include "broker_fixture.h"

#include "plexus/sdk/dead_letter.h"

using namespace plexus_test;

namespace {

sdk::queue_spec queue_with(std::string name, sdk::headers args)
{
    sdk::queue_spec s;
    s.name = std::move(name);
    s.arguments = std::move(args);
    return s;
}

sdk::message_ptr with_ttl(sdk::message_ptr m, std::int64_t ttl_ms)
{
    auto copy = std::make_shared<sdk::message>(*m);
    copy->properties.ttl_ms = ttl_ms;
    return copy;
}

std::string header_text(const sdk::message& m, std::string_view key)
{
    const auto* v = sdk::find_header(m.headers_, key);
    return v != nullptr && std::holds_alternative<std::string>(*v) ? std::get<std::string>(*v) : std::string("<none>");
}

} // namespace

TEST_CASE_METHOD(broker_fixture, "a queue TTL expires messages nobody consumed", "[unit][kernel][policy]")
{
    REQUIRE(declare(queue_with("ttl", { { "x-message-ttl", std::int64_t(100) } })).ok());
    REQUIRE(publish(make_message("", "ttl", "old"))->routed == 1);
    CHECK(info("ttl").messages == 1);
    // Nobody asks: the queue's own timer takes it out.
    REQUIRE(eventually([&] { return info("ttl").messages == 0; }, 2s));
    REQUIRE(publish(make_message("", "ttl", "new"))->routed == 1);
    auto got = get("ttl");
    REQUIRE(got.ok());
    REQUIRE(got->has_value());
    CHECK((*got)->d.msg->body.to_string() == "new");
}

TEST_CASE_METHOD(broker_fixture, "per-message TTL: the smaller of message and queue TTL wins", "[unit][kernel][policy]")
{
    REQUIRE(declare(queue_with("mttl", { { "x-message-ttl", std::int64_t(60000) } })).ok());
    REQUIRE(publish(with_ttl(make_message("", "mttl", "short"), 50))->routed == 1);
    REQUIRE(publish(make_message("", "mttl", "long"))->routed == 1);
    std::this_thread::sleep_for(120ms);
    auto got = get("mttl");
    REQUIRE(got.ok());
    REQUIRE(got->has_value());
    CHECK((*got)->d.msg->body.to_string() == "long");
    CHECK_FALSE(get("mttl")->has_value());
}

TEST_CASE_METHOD(broker_fixture, "rejected messages are dead-lettered with their history", "[unit][kernel][policy]")
{
    REQUIRE(declare("dead").ok());
    REQUIRE(bind("amq.direct", "dead", "dl-key").ok());
    REQUIRE(declare(queue_with("work",
                               { { "x-dead-letter-exchange", std::string("amq.direct") },
                                 { "x-dead-letter-routing-key", std::string("dl-key") } }))
              .ok());
    REQUIRE(publish(with_ttl(make_message("", "work", "bad"), 60000))->routed == 1);
    collecting_sink sink;
    auto sub = subscribe(consumer("work", 1), sink);
    REQUIRE(sub.ok());
    REQUIRE(eventually([&] { return sink.count() == 1; }));
    on(1, [&] { (*sub)->nack(sink.at(0).tag, false, false); });
    REQUIRE(eventually([&] { return info("dead").messages == 1; }));
    auto got = get("dead");
    REQUIRE(got->has_value());
    const auto& m = *(*got)->d.msg;
    CHECK(m.body.to_string() == "bad");
    CHECK(m.exchange == "amq.direct");
    CHECK(m.routing_key == "dl-key");
    CHECK_FALSE(m.properties.ttl_ms.has_value()); // removed, kept in the history
    auto deaths = sdk::deaths_of(m);
    REQUIRE(deaths.size() == 1);
    CHECK(deaths[0].queue == "work");
    CHECK(deaths[0].reason == "rejected");
    CHECK(deaths[0].count == 1);
    CHECK(deaths[0].exchange == "");
    CHECK(deaths[0].routing_keys == std::vector<std::string>{ "work" });
    CHECK(deaths[0].original_ttl_ms == 60000);
    CHECK(header_text(m, "x-first-death-reason") == "rejected");
    CHECK(header_text(m, "x-first-death-queue") == "work");
    CHECK(info("work").messages == 0);
    cancel(std::move(*sub));
}

TEST_CASE_METHOD(broker_fixture, "expired messages are dead-lettered; a TTL cycle ends", "[unit][kernel][policy]")
{
    // retry -(expired)-> work, a classic delayed-retry: the message arrives in "work" after the TTL.
    REQUIRE(declare("work2").ok());
    REQUIRE(declare(queue_with("retry",
                               { { "x-message-ttl", std::int64_t(50) },
                                 { "x-dead-letter-exchange", std::string("") },
                                 { "x-dead-letter-routing-key", std::string("work2") } }))
              .ok());
    REQUIRE(publish(make_message("", "retry", "later"))->routed == 1);
    REQUIRE(eventually([&] { return info("work2").messages == 1; }, 2s));
    auto got = get("work2");
    REQUIRE(got->has_value());
    auto deaths = sdk::deaths_of(*(*got)->d.msg);
    REQUIRE(deaths.size() == 1);
    CHECK(deaths[0].reason == "expired");
    CHECK(deaths[0].queue == "retry");

    // a <-> b, both expiring into each other and never rejected: dropped once it comes back.
    REQUIRE(declare(queue_with("cyc-a",
                               { { "x-message-ttl", std::int64_t(20) },
                                 { "x-dead-letter-exchange", std::string("") },
                                 { "x-dead-letter-routing-key", std::string("cyc-b") } }))
              .ok());
    REQUIRE(declare(queue_with("cyc-b",
                               { { "x-message-ttl", std::int64_t(20) },
                                 { "x-dead-letter-exchange", std::string("") },
                                 { "x-dead-letter-routing-key", std::string("cyc-a") } }))
              .ok());
    REQUIRE(publish(make_message("", "cyc-a", "round"))->routed == 1);
    std::this_thread::sleep_for(400ms);
    CHECK(info("cyc-a").messages == 0);
    CHECK(info("cyc-b").messages == 0);
}

TEST_CASE_METHOD(broker_fixture, "max length drops the head and dead-letters it as maxlen", "[unit][kernel][policy]")
{
    REQUIRE(declare("overflowed").ok());
    REQUIRE(declare(queue_with("bounded",
                               { { "x-max-length", std::int64_t(2) },
                                 { "x-dead-letter-exchange", std::string("") },
                                 { "x-dead-letter-routing-key", std::string("overflowed") } }))
              .ok());
    for (const char* body : { "m1", "m2", "m3" }) {
        REQUIRE(publish(make_message("", "bounded", body))->routed == 1);
    }
    REQUIRE(eventually([&] { return info("bounded").messages == 2 && info("overflowed").messages == 1; }));
    CHECK(get("bounded")->value().d.msg->body.to_string() == "m2");
    CHECK(get("bounded")->value().d.msg->body.to_string() == "m3");
    auto dropped = get("overflowed");
    REQUIRE(dropped->has_value());
    CHECK((*dropped)->d.msg->body.to_string() == "m1");
    CHECK(sdk::deaths_of(*(*dropped)->d.msg).at(0).reason == "maxlen");
}

TEST_CASE_METHOD(broker_fixture, "max length bytes counts ready message bodies", "[unit][kernel][policy]")
{
    REQUIRE(declare(queue_with("bytes", { { "x-max-length-bytes", std::int64_t(10) } })).ok());
    REQUIRE(publish(make_message("", "bytes", "aaaaaa"))->routed == 1); // 6
    REQUIRE(publish(make_message("", "bytes", "bbbbbb"))->routed == 1); // 12 > 10: "a…" goes
    REQUIRE(eventually([&] { return info("bytes").messages == 1; }));
    CHECK(get("bytes")->value().d.msg->body.to_string() == "bbbbbb");
}

TEST_CASE_METHOD(broker_fixture,
                 "reject-publish refuses the publish and reject-publish-dlx dead-letters it",
                 "[unit][kernel][policy]")
{
    REQUIRE(declare(queue_with(
                      "full", { { "x-max-length", std::int64_t(1) }, { "x-overflow", std::string("reject-publish") } }))
              .ok());
    REQUIRE(publish(make_message("", "full", "kept"))->routed == 1);
    auto refused = publish(make_message("", "full", "refused"));
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().code() == errc::resource_exhausted);
    CHECK(refused.error().message().find("'full'") != std::string_view::npos);
    CHECK(info("full").messages == 1);
    CHECK(get("full")->value().d.msg->body.to_string() == "kept");
    REQUIRE(publish(make_message("", "full", "room again"))->routed == 1);
    SECTION("a fire-and-forget publish hears only of its route: the full queue drops it silently")
    {
        // From the other shard too, where the queue's answer would have to travel back.
        for (unsigned shard = 0; shard < 2; ++shard) {
            auto dropped = publish(make_message("", "full", "dropped"), shard, sdk::ack_level::none);
            REQUIRE(dropped.ok());
            CHECK(dropped->routed == 1);
            CHECK(dropped->reached == sdk::ack_level::none);
        }
        CHECK(publish(make_message("", "nowhere", "x"), 1, sdk::ack_level::none)->routed == 0);
        CHECK(publish(make_message("no-such-exchange", "full", "x"), 1, sdk::ack_level::none).error().code() ==
              errc::not_found);
        CHECK(info("full").messages == 1);
        CHECK(get("full")->value().d.msg->body.to_string() == "room again");
        return;
    }

    REQUIRE(declare("rejected-copies").ok());
    REQUIRE(declare(queue_with("full-dlx",
                               { { "x-max-length", std::int64_t(1) },
                                 { "x-overflow", std::string("reject-publish-dlx") },
                                 { "x-dead-letter-exchange", std::string("") },
                                 { "x-dead-letter-routing-key", std::string("rejected-copies") } }))
              .ok());
    REQUIRE(publish(make_message("", "full-dlx", "one"))->routed == 1);
    REQUIRE_FALSE(publish(make_message("", "full-dlx", "two")).ok());
    REQUIRE(eventually([&] { return info("rejected-copies").messages == 1; }));
    auto copy = get("rejected-copies");
    CHECK((*copy)->d.msg->body.to_string() == "two");
    CHECK(sdk::deaths_of(*(*copy)->d.msg).at(0).reason == "maxlen");
    CHECK(info("full-dlx").messages == 1);
}

TEST_CASE_METHOD(broker_fixture, "x-expires deletes a queue left unused, not one in use", "[unit][kernel][policy]")
{
    REQUIRE(declare(queue_with("short-lived", { { "x-expires", std::int64_t(150) } })).ok());
    REQUIRE(declare(queue_with("consumed", { { "x-expires", std::int64_t(150) } })).ok());
    collecting_sink sink;
    auto sub = subscribe(consumer("consumed"), sink);
    REQUIRE(sub.ok());
    sdk::queue_spec passive;
    passive.name = "short-lived";
    passive.passive = true;
    REQUIRE(eventually([&] { return !declare(passive).ok(); }, 2s));
    CHECK(declare(passive).error().code() == errc::not_found);
    std::this_thread::sleep_for(200ms);
    CHECK(info("consumed").consumers == 1); // still there: a consumer is using it
    cancel(std::move(*sub));
    passive.name = "consumed";
    REQUIRE(eventually([&] { return !declare(passive).ok(); }, 2s));
}

TEST_CASE_METHOD(broker_fixture,
                 "policy arguments are checked at declare and must match on redeclare",
                 "[unit][kernel][policy]")
{
    auto negative = declare(queue_with("bad", { { "x-message-ttl", std::int64_t(-1) } }));
    REQUIRE_FALSE(negative.ok());
    CHECK(negative.error().code() == errc::precondition_failed);
    CHECK(negative.error().message() ==
          "invalid arg 'x-message-ttl' for queue 'bad' in vhost '/': {value_negative,-1}");
    auto wrong_type = declare(queue_with("bad", { { "x-max-length", std::string("ten") } }));
    REQUIRE_FALSE(wrong_type.ok());
    CHECK(wrong_type.error().message().find("{unacceptable_type,longstr}") != std::string_view::npos);
    CHECK_FALSE(declare(queue_with("bad", { { "x-expires", std::int64_t(0) } })).ok());
    CHECK_FALSE(declare(queue_with("bad", { { "x-overflow", std::string("explode") } })).ok());
    CHECK_FALSE(declare(queue_with("bad", { { "x-max-priority", std::int64_t(256) } })).ok());
    auto lone_key = declare(queue_with("bad", { { "x-dead-letter-routing-key", std::string("k") } }));
    REQUIRE_FALSE(lone_key.ok());
    CHECK(lone_key.error().message().find("x-dead-letter-exchange not defined") != std::string_view::npos);
    sdk::queue_spec passive;
    passive.name = "bad";
    passive.passive = true;
    CHECK(declare(passive).error().code() == errc::not_found); // nothing was created

    REQUIRE(declare(queue_with("ttl-q", { { "x-message-ttl", std::int64_t(1000) } })).ok());
    REQUIRE(declare(queue_with("ttl-q", { { "x-message-ttl", std::int64_t(1000) } })).ok());
    auto other = declare(queue_with("ttl-q", { { "x-message-ttl", std::int64_t(2000) } }));
    REQUIRE_FALSE(other.ok());
    CHECK(other.error().code() == errc::precondition_failed);
    CHECK(other.error().message() ==
          "inequivalent arg 'x-message-ttl' for queue 'ttl-q' in vhost '/': received the value '2000' of type "
          "'signedint' but current is '1000' of type 'signedint'");
    CHECK_FALSE(declare("ttl-q").ok()); // no arguments is a different policy too
}
