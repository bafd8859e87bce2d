// The kafka gateway in a real plexusd, used by the clients Kafka users have: kafka-python (the
// scenarios in scenarios.py, each asserting what an application would observe) and kcat
// (librdkafka). The listener binds port 0 with no advertised address: Kafka clients connect to
// the address Metadata advertises, so every scenario also shows that a client is told the
// address and port it connected to.
#include "kernel/src/config/broker_config.h"
#include "kernel/src/plugin/registry.h"
#include "plexus/sdk/testing/thread_pool.h"
#include "support/broker_process.h"
#include "support/storage_doubles.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <future>
#include <string>
#include <vector>

using plexus::tests::broker_process;
using plexus::tests::process_result;
using plexus::tests::run_process;

namespace {

constexpr const char* python = "/usr/bin/python3"; // Debian's, with python3-kafka and python3-pika

struct kafka_broker
{
    broker_process b;
    std::uint16_t port = 0; // the one the listener bound

    /// `listener_extra`: more keys of the kafka listener's config; `top_level`: more of the
    /// broker's config (users).
    explicit kafka_broker(int default_partitions = 1,
                          const std::string& listener_extra = "",
                          const std::string& top_level = "")
      : b("listeners:\n"
          "  - { name: kafka, protocol: kafka, host: 127.0.0.1, port: 0, config: { default_partitions: " +
          std::to_string(default_partitions) + listener_extra +
          " } }\n"
          "  - { name: amqp091, protocol: amqp091, port: 0 }\n" +
          top_level)
    {
        INFO(b.log());
        REQUIRE(b.start());
        port = b.port("kafka");
        REQUIRE(port != 0);
    }
    std::string bootstrap() const { return "127.0.0.1:" + std::to_string(port); }
};

/// Runs scenarios.py against `k`; each named scenario must pass.
void scenarios(const kafka_broker& k, const std::vector<std::string>& names)
{
    REQUIRE(std::filesystem::exists(python));
    std::vector<std::string> argv{
        python, PLEXUS_KAFKA_SCENARIOS, std::to_string(k.port), std::to_string(k.b.port("amqp091"))
    };
    argv.insert(argv.end(), names.begin(), names.end());
    auto r = run_process(argv, std::chrono::seconds(60));
    INFO("scenarios.py: " << r.describe() << "\nstdout:\n" << r.out << "\nplexusd:\n" << k.b.log());
    if (r.err.find("No module named 'kafka'") != std::string::npos) {
        FAIL("python3-kafka is missing: run scripts/install-deps.sh");
    }
    REQUIRE(r.spawn_error.empty());
    REQUIRE_FALSE(r.timed_out);
    REQUIRE(r.exit_code == 0);
    for (const auto& n : names) {
        CHECK(r.out.find("ok " + n + "\n") != std::string::npos);
    }
}

/// Runs kcat against `k`; it must succeed unless `may_fail`.
process_result kcat(const kafka_broker& k, std::vector<std::string> args, bool may_fail = false)
{
    args.insert(args.begin(), { "kcat", "-b", k.bootstrap() });
    auto r = run_process(args, std::chrono::seconds(20));
    INFO("kcat: " << r.describe() << "\nstdout:\n" << r.out << "\nstderr:\n" << r.err << "\nplexusd:\n" << k.b.log());
    if (!r.spawn_error.empty()) {
        FAIL("kcat is missing: run scripts/install-deps.sh");
    }
    REQUIRE_FALSE(r.timed_out);
    if (!may_fail) {
        REQUIRE(r.exit_code == 0);
    }
    return r;
}

std::vector<std::string> kcat_sasl(const std::string& password)
{
    return { "-X", "security.protocol=SASL_PLAINTEXT", "-X", "sasl.mechanisms=PLAIN", "-X", "sasl.username=alice",
             "-X", "sasl.password=" + password };
}

/// kcat arguments followed by the SASL login.
std::vector<std::string> with_sasl(std::vector<std::string> args, const std::string& password = "wonderland")
{
    auto login = kcat_sasl(password);
    args.insert(args.end(), login.begin(), login.end());
    return args;
}

/// Removes from a stopped broker's file engine what the Kafka gateway stored of idempotent
/// producers on `topic`: every metadata key naming it but the stream's definition.
void forget_producer_states(const std::filesystem::path& data_dir, const std::string& topic)
{
    plexus::kernel::broker_config config;
    config.plugin_dirs = { PLEXUS_TEST_PLUGIN_DIR };
    config.storage_engines = { { "file", "{}" } };
    config.default_storage = "file";
    config.routing_types = {};
    plexus::kernel::plugin_registry plugins(config.plugin_dirs);
    REQUIRE(plugins.load_configured(config).ok());
    plexus::sdk::testing::thread_pool pool;
    plexus::test::capturing_logger logger;
    plexus::sdk::storage_context ctx;
    ctx.data_dir = (data_dir / "file").string();
    ctx.log = &logger;
    ctx.blocking = &pool;
    auto engine = plugins.storage("file")->create(ctx, "{}");
    REQUIRE(engine.ok());
    auto rows = (*engine)->metadata().scan("");
    REQUIRE(rows.ok());
    std::vector<plexus::sdk::kv_store::write> forget;
    for (const auto& [key, value] : *rows) {
        if (!key.starts_with("def/") && key.find(topic) != std::string::npos) {
            forget.push_back({ key, std::nullopt });
        }
    }
    REQUIRE(forget.size() == 1); // the producer's state on partition 0
    std::promise<plexus::sdk::status> applied;
    (*engine)->metadata().apply(std::move(forget), [&applied](plexus::sdk::status st) { applied.set_value(st); });
    REQUIRE(applied.get_future().get().ok());
    REQUIRE((*engine)->close().ok());
}

} // namespace

TEST_CASE("kafka-python: produce and fetch with keys, headers and timestamps, acks=all, ListOffsets, long poll",
          "[integration][kafka]")
{
    kafka_broker k;
    scenarios(k, { "roundtrip", "acks_all", "list_offsets", "long_poll", "large_request" });
}

TEST_CASE("kafka-python: an auto-created topic with three partitions keeps per-key order", "[integration][kafka]")
{
    kafka_broker k(3);
    scenarios(k, { "partitions" });
}

TEST_CASE("long poll: a record on any awaited partition or the topic's deletion ends a Fetch's wait",
          "[integration][kafka]")
{
    kafka_broker k(3);
    scenarios(k, { "long_poll_wakeups" });
}

TEST_CASE("kafka-python consumer groups: commits, a rebalance on join and leave, a session timeout, list and describe",
          "[integration][kafka]")
{
    kafka_broker k(3);
    scenarios(k, { "group_commits", "group_rebalance", "group_session_timeout" });
}

TEST_CASE("interop: Kafka produce to AMQP stream consume, AMQP publish to Kafka fetch", "[integration][kafka]")
{
    kafka_broker k;
    scenarios(k, { "kafka_to_amqp", "amqp_to_kafka" });
}

TEST_CASE("idempotent producers: InitProducerId, a retried batch stored once, a sequence gap refused",
          "[integration][kafka]")
{
    kafka_broker k;
    scenarios(k, { "idempotent_producer" });
    std::filesystem::path input = k.b.dir() / "idempotent.txt";
    std::ofstream(input) << "one\ntwo\nthree\n";
    kcat(k, { "-P", "-t", "kcat-idempotent", "-p", "0", "-X", "enable.idempotence=true", "-l", input.string() });
    auto consumed = kcat(k, { "-C", "-t", "kcat-idempotent", "-p", "0", "-o", "beginning", "-c", "3", "-e" });
    CHECK(consumed.out == "one\ntwo\nthree\n");
}

TEST_CASE("idempotent producers across a restart: a retried batch stored once and producer ids not reused",
          "[integration][kafka]")
{
    kafka_broker k; // the file engine: the plugin store is durable
    scenarios(k, { "idempotent_restart_before" });
    // A crash, not a clean stop: what a client was answered must already be stored.
    k.b.kill();
    INFO(k.b.log());
    REQUIRE(k.b.start());
    k.port = k.b.port("kafka"); // port 0 again: another one
    scenarios(k, { "idempotent_restart_after" });
}

TEST_CASE("idempotent producers whose state a crash lost: a retried batch is found in the log, not appended twice",
          "[integration][kafka]")
{
    kafka_broker k;
    scenarios(k, { "idempotent_lost_before" });
    k.b.stop();
    forget_producer_states(k.b.dir() / "data", "idem-lost"); // what a crash before the write leaves
    INFO(k.b.log());
    REQUIRE(k.b.start());
    k.port = k.b.port("kafka");
    scenarios(k, { "idempotent_lost_after" });
}

TEST_CASE("a client that sends large fetches without reading gets every response in order and is pushed back by TCP",
          "[integration][kafka]")
{
    kafka_broker k(1, "", "log: { components: { protocol.kafka: debug } }\n");
    std::filesystem::path input = k.b.dir() / "large.txt";
    {
        std::ofstream out(input);
        for (int i = 0; i < 40; ++i) {
            out << std::string(100 * 1024, static_cast<char>('a' + i % 26)) << "\n";
        }
    }
    kcat(k, { "-P", "-t", "slow-reader", "-p", "0", "-l", input.string() });
    scenarios(k, { "slow_reader", "pushed_back" });
    INFO(k.b.log());
    CHECK(k.b.log().find("reads no responses: its requests wait") != std::string::npos);
}

TEST_CASE("kafka-python admin client: create, list and delete topics", "[integration][kafka]")
{
    kafka_broker k;
    scenarios(k, { "admin_topics" });
}

TEST_CASE("SASL/PLAIN logins with kafka-python and kcat: broker users in and a wrong password out",
          "[integration][kafka]")
{
    kafka_broker k(1, ", sasl: required", "users:\n  - { name: alice, password: wonderland }\n");
    scenarios(k, { "sasl_plain" });
    std::filesystem::path input = k.b.dir() / "sasl.txt";
    std::ofstream(input) << "one\ntwo\n";
    kcat(k, with_sasl({ "-P", "-t", "kcat-sasl", "-p", "0", "-l", input.string() }));
    auto consumed = kcat(k, with_sasl({ "-C", "-t", "kcat-sasl", "-p", "0", "-o", "beginning", "-c", "2", "-e" }));
    CHECK(consumed.out == "one\ntwo\n");
    auto refused = kcat(k, with_sasl({ "-L", "-m", "3" }, "wrong"), true);
    CHECK(refused.exit_code != 0);
    CHECK(refused.err.find("Authentication failed") != std::string::npos);
    auto anonymous = kcat(k, { "-L", "-m", "3" }, true);
    CHECK(anonymous.exit_code != 0);
    // The refused clients changed nothing for a logged-in one.
    auto listed = kcat(k, with_sasl({ "-L", "-t", "kcat-sasl" }));
    CHECK(listed.out.find("topic \"kcat-sasl\" with 1 partitions") != std::string::npos);
}

TEST_CASE("with users configured the default sasl optional serves only logged-in clients", "[integration][kafka]")
{
    // No guest user exists once users are configured, so an unauthenticated connection is
    // refused as under sasl required.
    kafka_broker k(1, "", "users:\n  - { name: alice, password: wonderland }\n");
    scenarios(k, { "sasl_plain" });
}

TEST_CASE("kafka-python admin client: describe the cluster and delete consumer groups", "[integration][kafka]")
{
    kafka_broker k;
    scenarios(k, { "describe_cluster", "delete_groups" });
}

TEST_CASE("kafka-python admin client: describe and alter topic configs", "[integration][kafka]")
{
    kafka_broker k;
    scenarios(k, { "topic_config" });
}

TEST_CASE("kafka-python admin client: topics choose their storage engine and forward exchange and report segment.bytes",
          "[integration][kafka]")
{
    kafka_broker k(1, "", "storage: { default: file, engines: { file: { segment_bytes: 1048576 }, memory: {} } }\n");
    scenarios(k, { "topic_storage" });
}

TEST_CASE("compacted topics: kafka-python and kcat read the newest value of each key at its offset",
          "[integration][kafka]")
{
    kafka_broker k(1, "", "storage: { compaction_interval_ms: 200 }\n");
    scenarios(k, { "compaction" });
    // librdkafka reads across the gaps the cleaning left, with the offsets the records had.
    auto r = kcat(k, { "-C", "-t", "compacted", "-p", "0", "-o", "beginning", "-e", "-f", "%o %k %s\n" });
    CHECK(r.out == "3 a a2\n6 c c2\n7 d d2\n8 e e1\n9 f f1\n");
    // A tombstone kcat sends (-Z: an empty value is null) reads back as one, null value and all
    // (younger than the compaction interval, it is in the head, which no pass cleans).
    std::filesystem::path input = k.b.dir() / "tombstone.txt";
    std::ofstream(input) << "g:g1\ng:\n";
    kcat(k, { "-P", "-t", "compacted", "-p", "0", "-K", ":", "-Z", "-l", input.string() });
    auto tail = kcat(k, { "-C", "-t", "compacted", "-p", "0", "-o", "10", "-e", "-Z", "-f", "%o %k %S\n" });
    CHECK(tail.out == "10 g 2\n11 g -1\n");
}

TEST_CASE("kafka-python admin client: add partitions to a topic", "[integration][kafka]")
{
    kafka_broker k;
    scenarios(k, { "create_partitions" });
}

TEST_CASE("malformed requests close only their own connection", "[integration][kafka]")
{
    kafka_broker k;
    scenarios(k, { "malformed" });
}

TEST_CASE("kcat (librdkafka): metadata, produce with keys and headers, consume", "[integration][kafka]")
{
    kafka_broker k;
    std::filesystem::path input = k.b.dir() / "kcat-input.txt";
    {
        std::ofstream out(input);
        out << "alpha:one\nbeta:two\ngamma:three\n";
    }
    kcat(k, { "-P", "-t", "kcat-topic", "-p", "0", "-K", ":", "-H", "source=kcat", "-l", input.string() });
    auto listed = kcat(k, { "-L", "-t", "kcat-topic" });
    CHECK(listed.out.find("broker 0 at 127.0.0.1:" + std::to_string(k.port)) != std::string::npos);
    CHECK(listed.out.find("topic \"kcat-topic\" with 1 partitions") != std::string::npos);
    auto consumed =
      kcat(k, { "-C", "-t", "kcat-topic", "-p", "0", "-o", "beginning", "-c", "3", "-e", "-f", "%k=%s;%h;%o\\n" });
    CHECK(consumed.out == "alpha=one;source=kcat;0\nbeta=two;source=kcat;1\ngamma=three;source=kcat;2\n");
}

TEST_CASE("kcat (librdkafka): batches compressed with gzip, snappy, lz4 and zstd", "[integration][kafka]")
{
    kafka_broker k;
    std::filesystem::path input = k.b.dir() / "kcat-lines.txt";
    std::string expected;
    {
        std::ofstream out(input);
        for (int i = 0; i < 50; ++i) {
            out << "a fairly compressible line number " << i << "\n";
            expected += "a fairly compressible line number " + std::to_string(i) + "\n";
        }
    }
    for (std::string codec : { "gzip", "snappy", "lz4", "zstd" }) {
        INFO("codec " << codec);
        std::string topic = "compressed-" + codec;
        kcat(k, { "-P", "-t", topic, "-p", "0", "-z", codec, "-X", "linger.ms=50", "-l", input.string() });
        auto consumed = kcat(k, { "-C", "-t", topic, "-p", "0", "-o", "beginning", "-c", "50", "-e" });
        CHECK(consumed.out == expected);
    }
    // Stored as sent (ADR 0019): 2 000 lines of 200 repeated bytes take 400 kB as records and a
    // few kB compressed, so a topic's segments must stay far below the records' size.
    std::filesystem::path large = k.b.dir() / "kcat-large.txt";
    {
        std::ofstream out(large);
        for (int i = 0; i < 2000; ++i) {
            out << std::string(200, static_cast<char>('a' + i % 3)) << "\n";
        }
    }
    auto stored_bytes = [&](const std::string& topic) {
        std::uintmax_t total = 0;
        for (const auto& e : std::filesystem::recursive_directory_iterator(k.b.dir() / "data")) {
            const auto path = e.path().string();
            if (e.is_regular_file() && path.find(topic) != std::string::npos && e.path().extension() == ".log") {
                total += e.file_size();
            }
        }
        return total;
    };
    kcat(k, { "-P", "-t", "stored-plain", "-p", "0", "-X", "linger.ms=100", "-l", large.string() });
    kcat(k, { "-P", "-t", "stored-zstd", "-p", "0", "-z", "zstd", "-X", "linger.ms=100", "-l", large.string() });
    REQUIRE(kcat(k, { "-C", "-t", "stored-zstd", "-p", "0", "-o", "beginning", "-c", "2000", "-e" }).out.size() ==
            2000 * 201);
    const auto plain = stored_bytes("stored-plain");
    const auto zstd = stored_bytes("stored-zstd");
    INFO("segments: plain " << plain << " bytes, zstd " << zstd << " bytes");
    CHECK(plain > 400000);
    CHECK(zstd > 0);
    CHECK(zstd * 20 < plain);
}

TEST_CASE("kcat (librdkafka) balanced consumer: a group reads, commits, and goes on from its commit",
          "[integration][kafka]")
{
    kafka_broker k(3);
    std::filesystem::path first = k.b.dir() / "first.txt", second = k.b.dir() / "second.txt";
    std::ofstream(first) << "a\nb\nc\n";
    std::ofstream(second) << "d\n";
    kcat(k, { "-P", "-t", "grouped", "-p", "0", "-l", first.string() });
    auto read = kcat(
      k, { "-G", "kcat-group", "grouped", "-c", "3", "-q", "-f", "%p:%o:%s\\n", "-X", "auto.offset.reset=earliest" });
    CHECK(read.out == "0:0:a\n0:1:b\n0:2:c\n");
    kcat(k, { "-P", "-t", "grouped", "-p", "0", "-l", second.string() });
    auto rest = kcat(
      k, { "-G", "kcat-group", "grouped", "-c", "1", "-q", "-f", "%p:%o:%s\\n", "-X", "auto.offset.reset=earliest" });
    CHECK(rest.out == "0:3:d\n");
}
