// DescribeCluster, DeleteGroups and CreatePartitions against the SDK fakes.
#include "gateway_config.h"
#include "generated/create_partitions.h"
#include "generated/delete_groups.h"
#include "generated/describe_cluster.h"
#include "session_fixture.h"

#include <catch2/catch.hpp>

#include <string>
#include <utility>

using namespace plexus::protocol::kafka;
using namespace plexus::protocol::kafka::testing;

namespace {

constexpr std::int16_t describe_cluster_key = 60;
constexpr std::int16_t delete_groups_key = 42;

generated::describe_cluster_response describe_cluster(fixture& f, std::int16_t version, std::int8_t endpoint_type)
{
    generated::describe_cluster_request q;
    q.endpoint_type = endpoint_type;
    REQUIRE(f.feed(request(describe_cluster_key, version, 7, true, body_of(q, version))).ok());
    auto rs = responses(f.conn.take_written());
    REQUIRE(rs.size() == 1);
    return read_response<generated::describe_cluster_response>(rs[0], version, true, 7);
}

/// The one broker DescribeCluster (v1, brokers) names: its host and port.
std::pair<std::string, std::int32_t> advertised_broker(fixture& f)
{
    auto m = describe_cluster(f, 1, 1);
    REQUIRE(m.brokers.size() == 1);
    return { m.brokers[0].host, m.brokers[0].port };
}

generated::delete_groups_response delete_groups(fixture& f, std::int16_t version, std::vector<std::string> names)
{
    generated::delete_groups_request q;
    q.groups_names = std::move(names);
    bool flexible = generated::delete_groups_request::flexible(version);
    REQUIRE(f.feed(request(delete_groups_key, version, 9, flexible, body_of(q, version))).ok());
    auto rs = responses(f.conn.take_written());
    REQUIRE(rs.size() == 1);
    return read_response<generated::delete_groups_response>(rs[0], version, flexible, 9);
}

} // namespace

TEST_CASE("DescribeCluster names the one broker at the advertised address as the controller", "[kafka][admin]")
{
    fixture f;
    f.config.advertised_host = "broker.example";
    f.config.advertised_port = 19092;
    f.start();
    for (std::int16_t version : { 0, 1 }) {
        auto m = describe_cluster(f, version, 1);
        CHECK(m.error_code == 0);
        CHECK(m.cluster_id == "plexus");
        CHECK(m.controller_id == 0);
        REQUIRE(m.brokers.size() == 1);
        CHECK(m.brokers[0].broker_id == 0);
        CHECK(m.brokers[0].host == "broker.example");
        CHECK(m.brokers[0].port == 19092);
    }
    auto controllers = describe_cluster(f, 1, 2);
    CHECK(controllers.error_code == 119); // UNSUPPORTED_ENDPOINT_TYPE, as a Kafka broker answers
    CHECK(controllers.brokers.empty());
    CHECK(describe_cluster(f, 1, 5).error_code == 42);
    CHECK_FALSE(f.conn.closed());
}

TEST_CASE("without an advertised address a client is told the address it connected to", "[kafka][admin]")
{
    // A listener on 0.0.0.0 or on port 0: the connection's local end is what reaches the broker
    // from this client (Metadata gives the same: kcat -L in the integration test).
    fixture f;
    f.conn.set_local_end("10.1.2.3", 40123);
    f.start();
    CHECK(advertised_broker(f) == std::pair<std::string, std::int32_t>("10.1.2.3", 40123));
    f.conn.set_local_end("::1", 9093); // read for each request, not kept from the first
    CHECK(advertised_broker(f) == std::pair<std::string, std::int32_t>("::1", 9093));
}

TEST_CASE("the advertised keys are unset by default and checked when given", "[kafka][admin]")
{
    auto d = parse_gateway_config("{}");
    REQUIRE(d);
    CHECK_FALSE(d->advertised_host);
    CHECK_FALSE(d->advertised_port);
    auto set = parse_gateway_config(R"({"advertised_host": "broker.example", "advertised_port": 19092})");
    REQUIRE(set);
    CHECK(set->advertised_host == std::optional<std::string>("broker.example"));
    CHECK(set->advertised_port == std::optional<std::int32_t>(19092));
    auto zero = parse_gateway_config(R"({"advertised_port": 0})");
    REQUIRE_FALSE(zero);
    CHECK(zero.error().message().find("advertised_port") != std::string_view::npos);
    auto empty = parse_gateway_config(R"({"advertised_host": ""})");
    REQUIRE_FALSE(empty);
    CHECK(empty.error().message().find("advertised_host") != std::string_view::npos);
}

TEST_CASE("an advertised port alone keeps the connection's host", "[kafka][admin]")
{
    fixture f;
    f.config.advertised_port = 19092;
    f.conn.set_local_end("10.1.2.3", 40123);
    f.start();
    CHECK(advertised_broker(f) == std::pair<std::string, std::int32_t>("10.1.2.3", 19092));
}

TEST_CASE("DeleteGroups deletes an empty group's offsets and refuses unknown and active groups", "[kafka][admin]")
{
    fixture f;
    f.start();
    f.kernel.commit_offset("/", "idle", "orders", sdk::partition_id(0), sdk::offset(3), {});
    f.kernel.commit_offset("/", "idle", "orders", sdk::partition_id(1), sdk::offset(4), {});
    group_coordinator::join_request join;
    join.group = "busy";
    join.protocol_type = "consumer";
    join.protocols = { { "range", "" } };
    f.groups.join(join, f.exec, [](group_coordinator::join_result) {});
    f.exec.run_all();
    REQUIRE(f.groups.describe("busy").members.size() == 1);

    for (std::int16_t version : { 0, 2 }) {
        auto m = delete_groups(f, version, { "idle", "never", "busy", "" });
        REQUIRE(m.results.size() == 4);
        CHECK(m.results[0].group_id == "idle");
        CHECK(m.results[0].error_code == (version == 0 ? 0 : 69)); // deleted, then gone
        CHECK(m.results[1].error_code == 69);                      // GROUP_ID_NOT_FOUND
        CHECK(m.results[2].error_code == 68);                      // NON_EMPTY_GROUP
        CHECK(m.results[3].error_code == 24);                      // INVALID_GROUP_ID
    }
    bool called = false;
    f.kernel.committed_offset(
      "/", "idle", "orders", sdk::partition_id(0), [&](sdk::result<std::optional<sdk::offset>> r) {
          called = true;
          REQUIRE(r.ok());
          CHECK_FALSE(r->has_value());
      });
    f.exec.run_all();
    CHECK(called);
}

TEST_CASE("CreatePartitions grows a topic and refuses shrinking unknown topics and assignments", "[kafka][admin]")
{
    fixture f;
    sdk::stream_info grown;
    grown.name = "grown";
    grown.partitions = 2;
    f.kernel.add_stream(grown);
    f.start();
    using topic = generated::create_partitions_request::create_partitions_topic;
    generated::create_partitions_request q;
    topic more{ "grown", 4, std::nullopt };
    topic fewer{ "grown", 1, std::nullopt };
    topic unknown{ "absent", 3, std::nullopt };
    topic assigned{ "placed", 6, std::vector<topic::create_partitions_assignment>{} };
    q.topics = { more, unknown, assigned };
    for (std::int16_t version : { 0, 3 }) {
        bool flexible = generated::create_partitions_request::flexible(version);
        REQUIRE(f.feed(request(37, version, 11, flexible, body_of(q, version))).ok());
        auto rs = responses(f.conn.take_written());
        REQUIRE(rs.size() == 1);
        auto m = read_response<generated::create_partitions_response>(rs[0], version, flexible, 11);
        REQUIRE(m.results.size() == 3);
        CHECK(m.results[0].name == "grown");
        // The second time the topic already has 4 partitions: INVALID_PARTITIONS.
        CHECK(m.results[0].error_code == (version == 0 ? 0 : 37));
        CHECK(m.results[1].error_code == 3);
        CHECK(m.results[2].error_code == 39); // INVALID_REPLICA_ASSIGNMENT
        CHECK(f.kernel.stream("grown")->partitions == 4);
    }
    q.topics = { fewer, fewer };
    REQUIRE(f.feed(request(37, 1, 12, false, body_of(q, 1))).ok());
    auto m = read_response<generated::create_partitions_response>(responses(f.conn.take_written()).at(0), 1, false, 12);
    REQUIRE(m.results.size() == 2);
    CHECK(m.results[0].error_code == 37);
    CHECK(m.results[1].error_code == 42); // named twice
}
