// The stored form of durable definitions: what is written reads back the same, and what is
// damaged is refused naming its key (never half-restored).
#include "kernel/src/server/definition_codec.h"

#include <catch2/catch.hpp>

using namespace plexus;
using namespace plexus::kernel;

namespace {

using rows = std::vector<std::pair<std::string, std::string>>;

sdk::headers every_value_type()
{
    return { { "x-void", std::monostate{} },
             { "x-flag", true },
             { "x-max-length", std::int64_t{ -42 } },
             { "x-ratio", 0.25 },
             { "x-dead-letter-exchange", std::string("dlx\0bin", 7) } };
}

} // namespace

TEST_CASE("each kind of definition reads back as it was written", "[unit][kernel][definitions]")
{
    sdk::exchange_spec x;
    x.vhost = "tenant/a";
    x.name = "orders";
    x.type = "topic";
    x.auto_delete = true;
    x.internal = true;
    x.arguments = every_value_type();

    sdk::queue_spec q;
    q.vhost = "/";
    q.name = "q with spaces";
    q.auto_delete = true;
    q.storage = "rocksdb";
    q.arguments = every_value_type();

    sdk::stream_spec s;
    s.vhost = "/";
    s.name = "events";
    s.partitions = 12;
    s.storage = "file";
    s.retention_ms = 3600000;
    s.forward_exchange = "amq.topic";

    sdk::binding_spec b;
    b.vhost = "/";
    b.exchange = "orders";
    b.destination = "events";
    b.destination_is_stream = true;
    b.key = "eu.#";
    b.arguments = { { "x-match", std::string("any") } };

    auto defs = decode_definitions({
      { definition_keys::vhost("tenant/a"), "" },
      { definition_keys::exchange(x.vhost, x.name), encode_exchange(x) },
      { definition_keys::queue(q.vhost, q.name), encode_queue(q) },
      { definition_keys::stream(s.vhost, s.name), encode_stream(s) },
      { definition_keys::binding(b), encode_binding(b) },
    });
    REQUIRE(defs.ok());
    CHECK(defs->vhosts == std::vector<std::string>{ "tenant/a" });
    REQUIRE(defs->exchanges.size() == 1);
    const auto& x2 = defs->exchanges[0];
    CHECK(x2.vhost == x.vhost);
    CHECK(x2.name == x.name);
    CHECK(x2.type == x.type);
    CHECK(x2.durable);
    CHECK(x2.auto_delete);
    CHECK(x2.internal);
    CHECK(x2.arguments == x.arguments);
    REQUIRE(defs->queues.size() == 1);
    const auto& q2 = defs->queues[0];
    CHECK(q2.name == q.name);
    CHECK(q2.durable);
    CHECK(q2.auto_delete);
    CHECK(q2.storage == "rocksdb");
    CHECK(q2.arguments == q.arguments);
    REQUIRE(defs->streams.size() == 1);
    CHECK(defs->streams[0].partitions == 12);
    CHECK(defs->streams[0].storage == "file");
    CHECK(defs->streams[0].retention_ms == 3600000);
    CHECK_FALSE(defs->streams[0].retention_bytes.has_value());
    CHECK(defs->streams[0].forward_exchange == "amq.topic");
    REQUIRE(defs->bindings.size() == 1);
    const auto& b2 = defs->bindings[0];
    CHECK(b2.exchange == "orders");
    CHECK(b2.destination == "events");
    CHECK(b2.destination_is_stream);
    CHECK(b2.key == "eu.#");
    CHECK(b2.arguments == b.arguments);
}

TEST_CASE("keys keep vhosts apart and bindings distinct by every field", "[unit][kernel][definitions]")
{
    // "a" + "b/c" and "a/b" + "c" must not collide although their concatenations do.
    CHECK(definition_keys::queue("a", "b/c") != definition_keys::queue("a/b", "c"));
    sdk::binding_spec b;
    b.exchange = "x";
    b.destination = "q";
    b.key = "k";
    auto other_args = b;
    other_args.arguments = { { "x-match", std::string("all") } };
    auto other_key = b;
    other_key.key = "k2";
    CHECK(definition_keys::binding(b) != definition_keys::binding(other_args));
    CHECK(definition_keys::binding(b) != definition_keys::binding(other_key));
    // A vhost's prefixes cover its keys, and not those of a vhost whose name extends it.
    const auto prefixes = definition_keys::of_vhost("/");
    auto covered = [&](const std::string& key) {
        return std::any_of(prefixes.begin(), prefixes.end(), [&](const auto& p) { return key.starts_with(p); });
    };
    CHECK(covered(definition_keys::queue("/", "q")));
    CHECK(covered(definition_keys::binding(b)));
    CHECK_FALSE(covered(definition_keys::queue("/x", "q")));
}

TEST_CASE("a damaged or unknown definition is refused naming its key", "[unit][kernel][definitions]")
{
    sdk::queue_spec q;
    q.name = "orders";
    q.arguments = every_value_type();
    const auto key = definition_keys::queue("/", "orders");
    const auto good = encode_queue(q);

    SECTION("truncated")
    {
        for (std::size_t cut = 0; cut < good.size(); ++cut) {
            auto r = decode_definitions({ { key, good.substr(0, cut) } });
            REQUIRE_FALSE(r.ok());
            CHECK(r.error().code() == sdk::errc::corruption);
            CHECK(std::string(r.error().message()).find(key) != std::string::npos);
        }
    }
    SECTION("trailing bytes")
    {
        CHECK_FALSE(decode_definitions({ { key, good + "x" } }).ok());
    }
    SECTION("a format this build does not know")
    {
        auto future = good;
        future[0] = 9;
        CHECK_FALSE(decode_definitions({ { key, future } }).ok());
    }
    SECTION("an unknown kind")
    {
        auto r = decode_definitions({ { "def/z/thing", good } });
        REQUIRE_FALSE(r.ok());
        CHECK(std::string(r.error().message()).find("def/z/thing") != std::string::npos);
    }
}

TEST_CASE("a stream definition written before forwarding existed still decodes", "[unit][kernel]")
{
    sdk::stream_spec s;
    s.name = "old";
    std::string bytes = encode_stream(s);
    // Compaction's three fields (flag, absent delete retention, segment size 0), then the
    // empty forward exchange's length byte: older builds wrote no more.
    bytes.resize(bytes.size() - 4);
    auto defs = decode_definitions({ { definition_keys::stream(s.vhost, s.name), bytes } });
    REQUIRE(defs.ok());
    REQUIRE(defs->streams.size() == 1);
    CHECK(defs->streams[0].name == "old");
    CHECK(defs->streams[0].forward_exchange.empty());
}

TEST_CASE("a stream definition keeps its compaction and a definition from before compaction decodes", "[unit][kernel]")
{
    sdk::stream_spec s;
    s.name = "table";
    s.forward_exchange = "amq.topic";
    s.compact = true;
    s.delete_retention_ms = 0;
    s.segment_bytes = 65536;
    auto defs = decode_definitions({ { definition_keys::stream(s.vhost, s.name), encode_stream(s) } });
    REQUIRE(defs.ok());
    REQUIRE(defs->streams.size() == 1);
    CHECK(defs->streams[0].compact);
    CHECK(defs->streams[0].delete_retention_ms == std::optional<std::int64_t>(0));
    CHECK(defs->streams[0].segment_bytes == 65536u);
    CHECK(defs->streams[0].forward_exchange == "amq.topic");

    sdk::stream_spec plain;
    plain.name = "old";
    plain.forward_exchange = "amq.topic";
    std::string bytes = encode_stream(plain);
    bytes.resize(bytes.size() - 3); // what a build before compaction wrote
    auto old = decode_definitions({ { definition_keys::stream(plain.vhost, plain.name), bytes } });
    REQUIRE(old.ok());
    REQUIRE(old->streams.size() == 1);
    CHECK_FALSE(old->streams[0].compact);
    CHECK(old->streams[0].segment_bytes == 0u);
    CHECK(old->streams[0].forward_exchange == "amq.topic");
}
