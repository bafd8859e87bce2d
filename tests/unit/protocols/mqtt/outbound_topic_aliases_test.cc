#include "outbound_topic_aliases.h"

#include <catch2/catch.hpp>

using plexus::protocol::mqtt::outbound_topic_aliases;

namespace {

/// assign() as (alias, send_topic), for one CHECK per step.
std::pair<int, bool> take(outbound_topic_aliases& t, const std::string& topic)
{
    auto u = t.assign(topic);
    REQUIRE(u);
    return { u->alias, u->send_topic };
}

} // namespace

TEST_CASE("outbound topic aliases are off without a maximum", "[mqtt][alias]")
{
    outbound_topic_aliases off;
    CHECK_FALSE(off.enabled());
    CHECK_FALSE(off.assign("a/b"));
    CHECK(off.peek("a/b").alias == 0);
}

TEST_CASE("a topic gets an alias at its first delivery and is sent by alias after", "[mqtt][alias]")
{
    outbound_topic_aliases t(3);
    CHECK(take(t, "a") == std::pair{ 1, true });
    CHECK(take(t, "a") == std::pair{ 1, false });
    CHECK(take(t, "b") == std::pair{ 2, true });
    CHECK(take(t, "c") == std::pair{ 3, true });
    CHECK(take(t, "b") == std::pair{ 2, false });
    CHECK(take(t, "a") == std::pair{ 1, false });
}

TEST_CASE("with every alias taken the least recently used one is reassigned", "[mqtt][alias]")
{
    outbound_topic_aliases t(2);
    CHECK(take(t, "a") == std::pair{ 1, true });
    CHECK(take(t, "b") == std::pair{ 2, true });
    CHECK(take(t, "a") == std::pair{ 1, false }); // b is now the least recently used
    CHECK(take(t, "c") == std::pair{ 2, true });
    CHECK(take(t, "b") == std::pair{ 1, true }); // a was, after c
    CHECK(take(t, "c") == std::pair{ 2, false });
    CHECK(take(t, "b") == std::pair{ 1, false });
    // a lost its alias: it comes back with a topic, never by a stale alias
    CHECK(take(t, "a") == std::pair{ 2, true });
}

TEST_CASE("peek tells what assign would do and changes nothing", "[mqtt][alias]")
{
    outbound_topic_aliases t(1);
    CHECK(t.peek("a").alias == 1);
    CHECK(t.peek("a").send_topic);
    CHECK(take(t, "a") == std::pair{ 1, true });
    CHECK(t.peek("a").alias == 1);
    CHECK_FALSE(t.peek("a").send_topic);
    CHECK(t.peek("b").alias == 1);
    CHECK(t.peek("b").send_topic);
    CHECK(take(t, "a") == std::pair{ 1, false }); // the peek at b reassigned nothing
}

TEST_CASE("a single alias cycled through many topics stays consistent", "[mqtt][alias]")
{
    outbound_topic_aliases t(1);
    for (int i = 0; i < 100; ++i) {
        const auto topic = "t/" + std::to_string(i % 3);
        auto u = t.assign(topic);
        REQUIRE(u);
        CHECK(u->alias == 1);
        CHECK(u->send_topic); // a different topic each time: the alias always moves
    }
    CHECK(take(t, "t/0") == std::pair{ 1, false }); // the last assigned was t/(99 % 3) = t/0
}
