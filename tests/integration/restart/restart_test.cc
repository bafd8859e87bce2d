// plexusd restarted on its data dir: what a durable broker must bring back (ARCHITECTURE.md
// §3: definitions live in the default engine's metadata store) and what it must not.
#include "support/broker_process.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using plexus::tests::broker_process;
using plexus::tests::process_result;

namespace {

// File storage by default, memory and RocksDB beside it for per-queue choice.
constexpr const char* three_engines = "storage: { default: file, engines: { file: {}, memory: {}, rocksdb: {} } }\n";

process_result ctl(const broker_process& b, std::vector<std::string> args)
{
    auto r = plexus::tests::run_plexusctl(b, std::move(args));
    INFO(r.describe());
    REQUIRE(r.spawn_error.empty());
    return r;
}

void ok(const broker_process& b, std::vector<std::string> args)
{
    auto r = ctl(b, args);
    INFO("plexusctl " << args.front() << " " << (args.size() > 1 ? args[1] : "") << ": " << r.describe());
    REQUIRE(r.exit_code == 0);
}

/// The payloads `get` takes (and acks) from a queue, one per line.
std::vector<std::string> drain(const broker_process& b, const std::string& queue)
{
    auto r = ctl(b, { "get", "--queue", queue, "--count", "10000" });
    INFO("get --queue " << queue << ": " << r.describe() << "\nplexusd: " << b.log());
    REQUIRE(r.exit_code == 0);
    std::vector<std::string> lines;
    std::size_t at = 0;
    while (at < r.out.size()) {
        auto end = r.out.find('\n', at);
        lines.push_back(r.out.substr(at, end - at));
        at = end == std::string::npos ? r.out.size() : end + 1;
    }
    return lines;
}

std::vector<std::string> numbered(const std::string& prefix, int first, int count)
{
    std::vector<std::string> out;
    for (int i = first; i < first + count; ++i) {
        out.push_back(prefix + std::to_string(i));
    }
    return out;
}

bool lists(const broker_process& b, const std::string& kind, const std::string& needle)
{
    auto r = ctl(b, { "list", kind, "--json" });
    REQUIRE(r.exit_code == 0);
    return r.out.find(needle) != std::string::npos;
}

void restart(broker_process& b)
{
    const int code = b.stop();
    INFO("plexusd: " << b.log());
    REQUIRE(code == 0);
    REQUIRE(b.start());
}

} // namespace

TEST_CASE("durable definitions and persistent messages survive a restart, transient ones do not",
          "[integration][restart]")
{
    broker_process b(three_engines);
    REQUIRE(b.start());
    ok(b, { "declare", "exchange", "orders-x", "--type", "topic", "--durable" });
    ok(b, { "declare", "exchange", "scratch-x", "--type", "fanout" }); // transient
    ok(b, { "declare", "queue", "orders", "--durable", "--arg", "x-max-length=1000" });
    ok(b, { "declare", "queue", "scratch" });
    ok(b, { "declare", "queue", "cache", "--durable", "--storage", "memory" });
    ok(b, { "declare", "queue", "ledger", "--durable", "--storage", "rocksdb" });
    ok(b, { "declare", "binding", "--source", "orders-x", "--destination", "orders", "--routing-key", "eu.*" });
    ok(b, { "declare", "binding", "--source", "orders-x", "--destination", "ledger", "--routing-key", "#" });
    ok(b, { "declare", "binding", "--source", "orders-x", "--destination", "scratch", "--routing-key", "#" });
    ok(b, { "declare", "stream", "events", "--partitions", "3" });
    for (int i = 0; i < 5; ++i) {
        ok(b,
           { "publish",
             "--exchange",
             "orders-x",
             "--routing-key",
             "eu.de",
             "--body",
             "order-" + std::to_string(i),
             "--persistent" });
    }
    ok(b, { "publish", "--exchange", "amq.default", "--routing-key", "cache", "--body", "cached", "--persistent" });

    restart(b);

    CHECK(b.log().find("restored 1 vhost(s), 1 exchange(s), 3 queue(s), 1 stream(s), 2 binding(s)") !=
          std::string::npos);
    CHECK(lists(b, "exchanges", "\"orders-x\""));
    CHECK_FALSE(lists(b, "exchanges", "\"scratch-x\""));
    CHECK_FALSE(lists(b, "queues", "\"scratch\""));
    CHECK(lists(b, "streams", "\"events\""));
    CHECK_FALSE(lists(b, "bindings", "\"scratch\""));
    // Recovered messages may have been delivered before the restart: they are flagged so.
    auto peek = ctl(b, { "get", "--queue", "orders", "--requeue", "--json" });
    REQUIRE(peek.exit_code == 0);
    CHECK(peek.out.find("\"redelivered\":true") != std::string::npos);
    // The durable bindings route again: one more order reaches both durable queues.
    ok(b, { "publish", "--exchange", "orders-x", "--routing-key", "eu.fr", "--body", "order-5", "--persistent" });
    CHECK(drain(b, "orders") == numbered("order-", 0, 6));
    CHECK(drain(b, "ledger") == numbered("order-", 0, 6));
    // A durable queue on the memory engine comes back, empty.
    CHECK(lists(b, "queues", "\"cache\""));
    CHECK(drain(b, "cache").empty());
    // A transient queue of the same name as the old one starts empty.
    ok(b, { "declare", "queue", "scratch" });
    CHECK(drain(b, "scratch").empty());

    // Acked messages stay acked, and deletions are remembered too.
    ok(b, { "delete", "queue", "ledger" });
    ok(b, { "delete", "exchange", "orders-x" });
    restart(b);
    CHECK(drain(b, "orders").empty());
    CHECK_FALSE(lists(b, "queues", "\"ledger\""));
    CHECK_FALSE(lists(b, "exchanges", "\"orders-x\""));
    CHECK(b.log().find("restored 1 vhost(s), 0 exchange(s), 2 queue(s), 1 stream(s), 0 binding(s)") !=
          std::string::npos);
}

TEST_CASE("every confirmed persistent publish survives kill -9", "[integration][restart]")
{
    broker_process b(three_engines);
    REQUIRE(b.start());
    ok(b, { "declare", "queue", "file-q", "--durable" });
    ok(b, { "declare", "queue", "rocks-q", "--durable", "--storage", "rocksdb" });
    ok(b, { "declare", "exchange", "both", "--type", "fanout", "--durable" });
    ok(b, { "declare", "binding", "--source", "both", "--destination", "file-q" });
    ok(b, { "declare", "binding", "--source", "both", "--destination", "rocks-q" });
    int published = 0;
    for (int round = 0; round < 3; ++round) {
        for (int i = 0; i < 8; ++i, ++published) {
            // plexusctl returns only after the broker answered: the publish is confirmed.
            ok(b,
               { "publish",
                 "--exchange",
                 "both",
                 "--routing-key",
                 "",
                 "--body",
                 "m-" + std::to_string(published),
                 "--persistent" });
        }
        b.kill();
        INFO(b.log());
        REQUIRE(b.start());
    }
    CHECK(drain(b, "file-q") == numbered("m-", 0, published));
    CHECK(drain(b, "rocks-q") == numbered("m-", 0, published));
}

TEST_CASE("a stored queue whose engine is no longer configured stops startup naming both", "[integration][restart]")
{
    broker_process b(three_engines);
    REQUIRE(b.start());
    ok(b, { "declare", "queue", "ledger", "--durable", "--storage", "rocksdb" });
    REQUIRE(b.stop() == 0);
    b.set_extra_yaml("storage: { default: file, engines: { file: {}, memory: {} } }\n");
    REQUIRE_FALSE(b.start());
    CHECK(b.startup_exit_code() == 7);
    const auto log = b.log();
    INFO(log);
    CHECK(log.find("stored queue 'ledger' in vhost '/' cannot be restored") != std::string::npos);
    CHECK(log.find("unknown storage engine 'rocksdb'") != std::string::npos);
}
