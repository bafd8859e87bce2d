// Topic names, filters, matching with the '$' rule, shared subscriptions and the amq.topic
// key translation.
#include "topic.h"

#include <catch2/catch.hpp>

using namespace plexus::protocol::mqtt;

TEST_CASE("topic names may not hold wildcards and filters use them whole", "[mqtt][topic]")
{
    CHECK(valid_topic_name("a/b/c"));
    CHECK(valid_topic_name("/"));
    CHECK_FALSE(valid_topic_name(""));
    CHECK_FALSE(valid_topic_name("a/+/c"));
    CHECK_FALSE(valid_topic_name("a/#"));

    CHECK(valid_topic_filter("#"));
    CHECK(valid_topic_filter("+"));
    CHECK(valid_topic_filter("a/+/c/#"));
    CHECK(valid_topic_filter("+/+"));
    CHECK_FALSE(valid_topic_filter(""));
    CHECK_FALSE(valid_topic_filter("a/#/c"));
    CHECK_FALSE(valid_topic_filter("a#"));
    CHECK_FALSE(valid_topic_filter("a/b+"));
    CHECK_FALSE(valid_topic_filter("a/++"));
}

TEST_CASE("filters match level by level", "[mqtt][topic]")
{
    CHECK(topic_matches("a/b/c", "a/b/c"));
    CHECK_FALSE(topic_matches("a/b/c", "a/b"));
    CHECK_FALSE(topic_matches("a/b", "a/b/c"));
    CHECK(topic_matches("a/+/c", "a/x/c"));
    CHECK_FALSE(topic_matches("a/+/c", "a/x/y/c"));
    CHECK(topic_matches("a/#", "a"));
    CHECK(topic_matches("a/#", "a/b/c"));
    CHECK(topic_matches("#", "a/b"));
    CHECK(topic_matches("+/+", "/x"));
    CHECK(topic_matches("+", ""));
    CHECK_FALSE(topic_matches("+", "a/b"));
    CHECK(topic_matches("a/+", "a/"));
}

TEST_CASE("$ topics are not matched by a leading wildcard", "[mqtt][topic]")
{
    CHECK_FALSE(topic_matches("#", "$SYS/uptime"));
    CHECK_FALSE(topic_matches("+/uptime", "$SYS/uptime"));
    CHECK(topic_matches("$SYS/#", "$SYS/uptime"));
    CHECK(topic_matches("$SYS/+", "$SYS/uptime"));
}

TEST_CASE("shared subscriptions name a group and a filter", "[mqtt][topic]")
{
    bool valid = false;
    auto s = parse_shared("$share/workers/jobs/+", valid);
    REQUIRE(valid);
    REQUIRE(s);
    CHECK(s->group == "workers");
    CHECK(s->filter == "jobs/+");
    CHECK_FALSE(parse_shared("jobs/+", valid));
    CHECK(valid);
    CHECK_FALSE(parse_shared("$share/workers", valid));
    CHECK_FALSE(valid);
    CHECK_FALSE(parse_shared("$share//jobs", valid));
    CHECK_FALSE(valid);
    CHECK_FALSE(parse_shared("$share/w+/jobs", valid));
    CHECK_FALSE(valid);
    CHECK_FALSE(parse_shared("$share/w/a/#/b", valid));
    CHECK_FALSE(valid);
}

TEST_CASE("topics become amq.topic keys and back, dots included", "[mqtt][topic]")
{
    CHECK(to_routing_key("a/b/c") == "a.b.c");
    CHECK(to_routing_key("sensors/temp.c") == "sensors.temp/c");
    CHECK(to_topic("sensors.temp/c") == "sensors/temp.c");
    CHECK(to_topic(to_routing_key("/x//y.z/")) == "/x//y.z/");
    CHECK(to_binding_key("a/+/c/#") == "a.*.c.#");
    CHECK(to_binding_key("#") == "#");
    CHECK(to_binding_key("v1.0/+") == "v1/0.*");
}
