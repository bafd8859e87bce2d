// DescribeConfigs, AlterConfigs and IncrementalAlterConfigs: which keys a topic and the broker
// have, and how changes reach the stream's retention.
#include "generated/alter_configs.h"
#include "generated/describe_configs.h"
#include "generated/incremental_alter_configs.h"
#include "session_fixture.h"
#include "topic_configs.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <string>

using namespace plexus::protocol::kafka;
namespace kafka = plexus::protocol::kafka;
using namespace plexus::protocol::kafka::testing;

namespace {

using describe_request = generated::describe_configs_request;
using describe_response = generated::describe_configs_response;

describe_response describe(fixture& f, std::int16_t version, describe_request q)
{
    bool flexible = describe_request::flexible(version);
    auto st = f.feed(request(32, version, 3, flexible, body_of(q, version)));
    INFO(st.message());
    REQUIRE(st.ok());
    auto rs = responses(f.conn.take_written());
    REQUIRE(rs.size() == 1);
    return read_response<describe_response>(rs[0], version, flexible, 3);
}

describe_request::describe_configs_resource resource(std::int8_t type, std::string name)
{
    describe_request::describe_configs_resource r;
    r.resource_type = type;
    r.resource_name = std::move(name);
    return r;
}

std::map<std::string, std::string> values(const describe_response::describe_configs_result& r)
{
    std::map<std::string, std::string> out;
    for (const auto& c : r.configs) {
        out[c.name] = c.value.value_or("<null>");
    }
    return out;
}

sdk::stream_info topic(std::string name, std::optional<std::int64_t> ms, std::optional<std::int64_t> bytes)
{
    sdk::stream_info s;
    s.name = std::move(name);
    s.retention_ms = ms;
    s.retention_bytes = bytes;
    s.storage = "memory";
    return s;
}

} // namespace

TEST_CASE("topic config changes: SET and DELETE of retention and delete.retention.ms", "[kafka][configs]")
{
    const auto current = topic("t", 1000, std::nullopt);
    auto apply_topic_config = [&current](sdk::stream_config& r,
                                         std::string_view name,
                                         config_operation op,
                                         const std::optional<std::string>& value) {
        return kafka::apply_topic_config(r, current, name, op, value);
    };
    sdk::stream_config r;
    r.retention_ms = 1000;
    CHECK_FALSE(apply_topic_config(r, "retention.bytes", config_operation::set, std::string("4096")));
    CHECK(r.retention_bytes == std::optional<std::int64_t>(4096));
    CHECK_FALSE(apply_topic_config(r, "retention.ms", config_operation::set, std::string("-1")));
    CHECK_FALSE(r.retention_ms.has_value());
    CHECK_FALSE(apply_topic_config(r, "retention.bytes", config_operation::remove, std::nullopt));
    CHECK_FALSE(r.retention_bytes.has_value());
    CHECK(apply_topic_config(r, "retention.ms", config_operation::set, std::string("soon")));
    CHECK(apply_topic_config(r, "retention.ms", config_operation::set, std::string("-2")));
    CHECK(apply_topic_config(r, "retention.ms", config_operation::append, std::string("5")));
    CHECK_FALSE(apply_topic_config(r, "delete.retention.ms", config_operation::set, std::string("100")));
    CHECK(r.delete_retention_ms == std::optional<std::int64_t>(100));
    CHECK_FALSE(apply_topic_config(r, "delete.retention.ms", config_operation::remove, std::nullopt));
    CHECK_FALSE(r.delete_retention_ms.has_value());
    CHECK(apply_topic_config(r, "min.insync.replicas", config_operation::set, std::string("1")));
}

TEST_CASE("cleanup.policy turns compaction on and off as a list", "[kafka][configs]")
{
    const auto current = topic("t", std::nullopt, std::nullopt);
    sdk::stream_config r;
    CHECK_FALSE(apply_topic_config(r, current, "cleanup.policy", config_operation::set, std::string("compact")));
    CHECK(r.compact);
    CHECK_FALSE(apply_topic_config(r, current, "cleanup.policy", config_operation::set, std::string("delete")));
    CHECK_FALSE(r.compact);
    CHECK_FALSE(
      apply_topic_config(r, current, "cleanup.policy", config_operation::set, std::string("delete, compact")));
    CHECK(r.compact);
    CHECK_FALSE(apply_topic_config(r, current, "cleanup.policy", config_operation::subtract, std::string("compact")));
    CHECK_FALSE(r.compact);
    CHECK_FALSE(apply_topic_config(r, current, "cleanup.policy", config_operation::append, std::string("compact")));
    CHECK(r.compact);
    CHECK_FALSE(apply_topic_config(r, current, "cleanup.policy", config_operation::remove, std::nullopt));
    CHECK_FALSE(r.compact);
    auto bad = apply_topic_config(r, current, "cleanup.policy", config_operation::set, std::string("compress"));
    REQUIRE(bad);
    CHECK(bad->find("delete, compact, or both") != std::string::npos);
    CHECK(apply_topic_config(r, current, "cleanup.policy", config_operation::set, std::string("")));

    sdk::stream_spec spec;
    CHECK_FALSE(apply_creation_config(spec, "cleanup.policy", std::string("compact,delete")));
    CHECK(spec.compact);
    CHECK_FALSE(apply_creation_config(spec, "delete.retention.ms", std::string("0")));
    CHECK(spec.delete_retention_ms == std::optional<std::int64_t>(0));
    CHECK(apply_creation_config(spec, "delete.retention.ms", std::string("-1")));
    CHECK(apply_creation_config(spec, "cleanup.policy", std::string("none")));

    // Described as Kafka names the policy: with a retention, compaction and deletion both.
    auto compacted = topic("c", std::nullopt, std::nullopt);
    compacted.compact = true;
    auto described = describe_topic_configs(compacted);
    auto policy =
      std::find_if(described.begin(), described.end(), [](const auto& c) { return c.name == "cleanup.policy"; });
    REQUIRE(policy != described.end());
    CHECK(policy->value == "compact");
    CHECK_FALSE(policy->is_default);
    compacted.retention_ms = 60000;
    described = describe_topic_configs(compacted);
    CHECK(std::find_if(described.begin(), described.end(), [](const auto& c) {
              return c.name == "cleanup.policy" && c.value == "compact,delete";
          }) != described.end());
    CHECK(std::find_if(described.begin(), described.end(), [](const auto& c) {
              return c.name == "delete.retention.ms" && c.value == "86400000" && c.is_default;
          }) != described.end());
}

TEST_CASE("topic configs fixed at creation can only be SET to the value they have", "[kafka][configs]")
{
    auto current = topic("t", std::nullopt, std::nullopt);
    current.storage = "file";
    current.forward_exchange = "amq.topic";
    sdk::stream_config r;
    CHECK_FALSE(apply_topic_config(r, current, "plexus.storage", config_operation::set, std::string("file")));
    CHECK_FALSE(
      apply_topic_config(r, current, "plexus.forward.exchange", config_operation::set, std::string("amq.topic")));
    auto moved = apply_topic_config(r, current, "plexus.storage", config_operation::set, std::string("rocksdb"));
    REQUIRE(moved);
    CHECK(moved->find("fixed when the topic is created") != std::string::npos);
    CHECK(moved->find("'file'") != std::string::npos);
    CHECK(apply_topic_config(r, current, "plexus.storage", config_operation::remove, std::nullopt));
    CHECK(apply_topic_config(r, current, "plexus.forward.exchange", config_operation::set, std::string("")));
    CHECK(apply_topic_config(r, current, "plexus.forward.exchange", config_operation::append, std::string("x")));
    current.forward_exchange.clear();
    CHECK_FALSE(apply_topic_config(r, current, "plexus.forward.exchange", config_operation::set, std::nullopt));
}

TEST_CASE("segment.bytes is the topic's or the engine's: reported and only SET to the value it has", "[kafka][configs]")
{
    auto on_file = topic("t", std::nullopt, std::nullopt);
    on_file.storage = "file";
    on_file.segment_bytes = 1 << 20;
    auto configs = describe_topic_configs(on_file);
    auto segment =
      std::find_if(configs.begin(), configs.end(), [](const auto& c) { return c.name == "segment.bytes"; });
    REQUIRE(segment != configs.end());
    CHECK(segment->value == "1048576");
    CHECK(segment->read_only);
    CHECK(segment->source == 4); // STATIC_BROKER_CONFIG
    CHECK(std::is_sorted(configs.begin(), configs.end(), [](const auto& a, const auto& b) { return a.name < b.name; }));

    sdk::stream_config r;
    CHECK_FALSE(apply_topic_config(r, on_file, "segment.bytes", config_operation::set, std::string("1048576")));
    auto other = apply_topic_config(r, on_file, "segment.bytes", config_operation::set, std::string("4096"));
    REQUIRE(other);
    CHECK(other->find("fixed when the topic is created") != std::string::npos);
    CHECK(apply_topic_config(r, on_file, "segment.bytes", config_operation::remove, std::nullopt));

    auto in_memory = topic("m", std::nullopt, std::nullopt); // segment_bytes 0: no segments
    auto none = describe_topic_configs(in_memory);
    CHECK(std::none_of(none.begin(), none.end(), [](const auto& c) { return c.name == "segment.bytes"; }));
    auto refused = apply_topic_config(r, in_memory, "segment.bytes", config_operation::set, std::string("0"));
    REQUIRE(refused);
    CHECK(refused->find("keeps no segments") != std::string::npos);

    sdk::stream_spec spec;
    CHECK_FALSE(apply_creation_config(spec, "segment.bytes", std::string("1048576")));
    CHECK(spec.segment_bytes == 1048576u);
    auto tiny = apply_creation_config(spec, "segment.bytes", std::string("100"));
    REQUIRE(tiny);
    CHECK(tiny->find("at least 4096") != std::string::npos);
    CHECK(apply_creation_config(spec, "segment.bytes", std::string("big")));

    // A topic's own segment size is a topic config.
    on_file.declared_segment_bytes = 1 << 20;
    auto own = describe_topic_configs(on_file);
    CHECK(std::find_if(own.begin(), own.end(), [](const auto& c) {
              return c.name == "segment.bytes" && c.source == 1;
          }) != own.end());
}

TEST_CASE("CreateTopics configs fill the stream spec or say what is wrong", "[kafka][configs]")
{
    sdk::stream_spec spec;
    CHECK_FALSE(apply_creation_config(spec, "plexus.storage", std::string("rocksdb")));
    CHECK(spec.storage == "rocksdb");
    CHECK_FALSE(apply_creation_config(spec, "plexus.forward.exchange", std::string("amq.topic")));
    CHECK(spec.forward_exchange == "amq.topic");
    CHECK_FALSE(apply_creation_config(spec, "retention.ms", std::string("60000")));
    CHECK(spec.retention_ms == std::optional<std::int64_t>(60000));
    CHECK_FALSE(apply_creation_config(spec, "retention.bytes", std::string("-1")));
    CHECK_FALSE(spec.retention_bytes.has_value());
    CHECK_FALSE(apply_creation_config(spec, "cleanup.policy", std::string("delete")));
    CHECK_FALSE(spec.compact);
    CHECK_FALSE(apply_creation_config(spec, "cleanup.policy", std::string("compact")));
    CHECK(spec.compact);
    CHECK(apply_creation_config(spec, "cleanup.policy", std::string("compact,archive")));
    CHECK(apply_creation_config(spec, "retention.ms", std::string("-2")));
    CHECK(apply_creation_config(spec, "retention.ms", std::nullopt));
    auto unknown = apply_creation_config(spec, "max.message.bytes", std::string("1"));
    REQUIRE(unknown);
    CHECK(unknown->find("max.message.bytes") != std::string::npos);
    // A null or empty engine or exchange is the default: the configured engine, no forwarding.
    CHECK_FALSE(apply_creation_config(spec, "plexus.storage", std::nullopt));
    CHECK(spec.storage.empty());
    CHECK_FALSE(apply_creation_config(spec, "plexus.forward.exchange", std::string()));
    CHECK(spec.forward_exchange.empty());
}

TEST_CASE("DescribeConfigs reports a topic's retention and the broker's settings", "[kafka][configs]")
{
    fixture f;
    f.config.default_partitions = 3;
    f.kernel.add_stream(topic("kept", 3600000, std::nullopt));
    f.start();
    for (std::int16_t version : { 0, 1, 4 }) {
        describe_request q;
        q.resources = { resource(topic_resource, "kept"),
                        resource(topic_resource, "absent"),
                        resource(broker_resource, "0"),
                        resource(broker_resource, "7"),
                        resource(32, "a-group") };
        q.include_synonyms = version >= 1;
        auto m = describe(f, version, q);
        REQUIRE(m.results.size() == 5);
        CHECK(m.results[0].error_code == 0);
        CHECK(values(m.results[0]) == std::map<std::string, std::string>{ { "cleanup.policy", "delete" },
                                                                          { "delete.retention.ms", "86400000" },
                                                                          { "plexus.forward.exchange", "" },
                                                                          { "plexus.storage", "memory" },
                                                                          { "retention.bytes", "-1" },
                                                                          { "retention.ms", "3600000" } });
        for (const auto& c : m.results[0].configs) {
            if (c.name == "retention.ms") {
                CHECK_FALSE(c.is_default);
                CHECK_FALSE(c.read_only);
                CHECK(c.config_source == (version >= 1 ? 1 : -1));
                CHECK(c.synonyms.size() == (version >= 1 ? 1u : 0u));
            }
            if (c.name == "plexus.storage" || c.name == "plexus.forward.exchange") {
                CHECK(c.read_only);
                // No forward exchange is the default; v1+ says so by the source alone.
                bool is_default = version == 0 ? c.is_default : c.config_source == 5;
                CHECK(is_default == (c.name == "plexus.forward.exchange"));
            }
        }
        CHECK(m.results[1].error_code == 3); // UNKNOWN_TOPIC_OR_PARTITION
        CHECK(m.results[2].error_code == 0);
        CHECK(values(m.results[2]).at("num.partitions") == "3");
        CHECK(values(m.results[2]).at("broker.id") == "0");
        CHECK(m.results[3].error_code == 42);
        CHECK(m.results[4].error_code == 42);
    }
    describe_request only;
    auto r = resource(topic_resource, "kept");
    r.configuration_keys = std::vector<std::string>{ "retention.ms", "no.such.key" };
    only.resources = { r };
    auto m = describe(f, 2, only);
    CHECK(values(m.results[0]) == std::map<std::string, std::string>{ { "retention.ms", "3600000" } });
}

TEST_CASE("AlterConfigs replaces a topic's config and IncrementalAlterConfigs changes what it names",
          "[kafka][configs]")
{
    fixture f;
    f.kernel.add_stream(topic("kept", 3600000, 1 << 20));
    f.start();

    generated::incremental_alter_configs_request inc;
    inc.resources.resize(1);
    inc.resources[0].resource_type = topic_resource;
    inc.resources[0].resource_name = "kept";
    inc.resources[0].configs = { { "retention.bytes", 1, std::nullopt } };
    REQUIRE(f.feed(request(44, 1, 5, true, body_of(inc, 1))).ok());
    auto rs = responses(f.conn.take_written());
    REQUIRE(rs.size() == 1);
    auto im = read_response<generated::incremental_alter_configs_response>(rs[0], 1, true, 5);
    REQUIRE(im.responses.size() == 1);
    CHECK(im.responses[0].error_code == 0);
    CHECK(f.kernel.stream("kept")->retention_ms == std::optional<std::int64_t>(3600000));
    CHECK_FALSE(f.kernel.stream("kept")->retention_bytes.has_value());

    generated::alter_configs_request alter;
    alter.resources.resize(3);
    alter.resources[0].resource_type = topic_resource;
    alter.resources[0].resource_name = "kept";
    alter.resources[0].configs = { { "retention.bytes", std::string("2048") } };
    alter.resources[1].resource_type = topic_resource;
    alter.resources[1].resource_name = "absent";
    alter.resources[2].resource_type = broker_resource;
    alter.resources[2].resource_name = "0";
    REQUIRE(f.feed(request(33, 0, 6, false, body_of(alter, 0))).ok());
    rs = responses(f.conn.take_written());
    REQUIRE(rs.size() == 1);
    auto am = read_response<generated::alter_configs_response>(rs[0], 0, false, 6);
    REQUIRE(am.responses.size() == 3);
    CHECK(am.responses[0].error_code == 0);
    CHECK(am.responses[1].error_code == 3);
    CHECK(am.responses[2].error_code == 40);                        // INVALID_CONFIG: broker configs are read-only
    CHECK_FALSE(f.kernel.stream("kept")->retention_ms.has_value()); // not named: the default
    CHECK(f.kernel.stream("kept")->retention_bytes == std::optional<std::int64_t>(2048));

    SECTION("an invalid change leaves the topic as it was")
    {
        alter.resources.resize(1);
        alter.resources[0].configs = { { "retention.ms", std::string("10") },
                                       { "cleanup.policy", std::string("compact,shred") } };
        REQUIRE(f.feed(request(33, 1, 7, false, body_of(alter, 1))).ok());
        auto bad =
          read_response<generated::alter_configs_response>(responses(f.conn.take_written()).at(0), 1, false, 7);
        CHECK(bad.responses.at(0).error_code == 40);
        CHECK(bad.responses.at(0).error_message->find("cleanup.policy") != std::string::npos);
        CHECK_FALSE(f.kernel.stream("kept")->retention_ms.has_value());
    }
    SECTION("a fixed config sent back unchanged is accepted and another value refused")
    {
        alter.resources.resize(1);
        alter.resources[0].configs = { { "retention.ms", std::string("10") },
                                       { "plexus.storage", std::string("memory") } };
        REQUIRE(f.feed(request(33, 1, 7, false, body_of(alter, 1))).ok());
        auto ok = read_response<generated::alter_configs_response>(responses(f.conn.take_written()).at(0), 1, false, 7);
        CHECK(ok.responses.at(0).error_code == 0);
        CHECK(f.kernel.stream("kept")->retention_ms == std::optional<std::int64_t>(10));

        inc.resources[0].configs = { { "retention.ms", 0, std::string("20") },
                                     { "plexus.storage", 0, std::string("file") } };
        REQUIRE(f.feed(request(44, 1, 8, true, body_of(inc, 1))).ok());
        auto bad = read_response<generated::incremental_alter_configs_response>(
          responses(f.conn.take_written()).at(0), 1, true, 8);
        CHECK(bad.responses.at(0).error_code == 40);
        CHECK(bad.responses.at(0).error_message->find("plexus.storage") != std::string::npos);
        CHECK(f.kernel.stream("kept")->retention_ms == std::optional<std::int64_t>(10));
    }
    SECTION("validate_only checks and changes nothing")
    {
        alter.resources.resize(1);
        alter.validate_only = true;
        alter.resources[0].configs = { { "retention.ms", std::string("10") } };
        REQUIRE(f.feed(request(33, 2, 8, true, body_of(alter, 2))).ok());
        auto ok = read_response<generated::alter_configs_response>(responses(f.conn.take_written()).at(0), 2, true, 8);
        CHECK(ok.responses.at(0).error_code == 0);
        CHECK_FALSE(f.kernel.stream("kept")->retention_ms.has_value());
    }
}
