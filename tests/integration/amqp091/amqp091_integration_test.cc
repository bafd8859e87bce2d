// The amqp091 gateway in a real plexusd on port 0, used by the clients RabbitMQ users have:
// pika (the scenarios in scenarios.py, each asserting what an application would observe) and
// the amqp-tools command-line clients built on rabbitmq-c.
#include "support/broker_process.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <vector>

using plexus::tests::broker_process;
using plexus::tests::process_result;
using plexus::tests::run_process;

namespace {

constexpr const char* python = "/usr/bin/python3"; // Debian's, with python3-pika
constexpr const char* listener = "listeners: [{ name: amqp091, protocol: amqp091, port: 0 }]\n";

void start(broker_process& b)
{
    INFO(b.log());
    REQUIRE(b.start());
    REQUIRE(b.port("amqp091") != 0);
}

/// Runs scenarios.py against `b`; each named scenario must pass.
void scenarios(const broker_process& b, const std::vector<std::string>& names)
{
    REQUIRE(std::filesystem::exists(python));
    std::vector<std::string> argv{ python, PLEXUS_AMQP091_SCENARIOS, std::to_string(b.port("amqp091")) };
    argv.insert(argv.end(), names.begin(), names.end());
    auto r = run_process(argv, std::chrono::seconds(60));
    INFO("scenarios.py: " << r.describe() << "\nstdout:\n" << r.out << "\nplexusd:\n" << b.log());
    if (r.err.find("No module named 'pika'") != std::string::npos) {
        FAIL("python3-pika is missing: run scripts/install-deps.sh");
    }
    REQUIRE(r.spawn_error.empty());
    REQUIRE_FALSE(r.timed_out);
    REQUIRE(r.exit_code == 0);
    for (const auto& n : names) {
        CHECK(r.out.find("ok " + n + "\n") != std::string::npos);
    }
}

process_result tool(const broker_process& b, std::vector<std::string> argv)
{
    argv.insert(argv.begin() + 1, "--url=amqp://guest:guest@127.0.0.1:" + std::to_string(b.port("amqp091")));
    auto r = run_process(argv, std::chrono::seconds(20));
    INFO(argv.front() << ": " << r.describe() << "\nplexusd:\n" << b.log());
    if (!r.spawn_error.empty()) {
        FAIL(argv.front() << " is missing (amqp-tools): run scripts/install-deps.sh");
    }
    REQUIRE_FALSE(r.timed_out);
    REQUIRE(r.exit_code == 0);
    return r;
}

} // namespace

TEST_CASE("pika: properties, headers, confirms, acks, prefetch, get, returns and transactions",
          "[integration][amqp091]")
{
    broker_process b(listener);
    start(b);
    scenarios(b,
              { "roundtrip",
                "confirms",
                "confirms_async",
                "acks",
                "prefetch",
                "global_prefetch",
                "consumer_priorities",
                "get",
                "mandatory",
                "transactions" });
}

TEST_CASE("pika: channel errors close only the channel, and exclusive queues are locked", "[integration][amqp091]")
{
    broker_process b(listener);
    start(b);
    scenarios(b,
              { "channel_errors",
                "exclusive",
                "broker_cancel",
                "definitions",
                "exchange_routing",
                "delayed_messages",
                "stream",
                "heartbeats" });
}

TEST_CASE("pika: TTL, dead-lettering with x-death, max length, queue arguments and priorities",
          "[integration][amqp091]")
{
    broker_process b(listener);
    start(b);
    scenarios(b, { "ttl", "dead_letters", "max_length", "queue_arguments", "priorities" });
}

TEST_CASE("pika: publishers move to their queue's shard and lose nothing on the way", "[integration][amqp091]")
{
    broker_process b(listener);
    start(b);
    scenarios(b, { "follow_queue_shard" });
    // Twelve publishers over two shards: some started on the queue's shard, nearly surely not
    // all (1 in 4096). Each of the others moved once; the mixed connection never did.
    const auto moves = b.log_count("at its session's request");
    INFO(b.log());
    CHECK(moves >= 1);
    CHECK(moves <= 12);
    // Moved connections shut down like any other (and, under the sanitizers, leak nothing).
    CHECK(b.stop() == 0);

    // Turned off in the listener's config: nobody moves.
    broker_process fixed(
      "listeners: [{ name: amqp091, protocol: amqp091, port: 0, config: { follow_queue_shard: false } }]\n");
    start(fixed);
    scenarios(fixed, { "follow_queue_shard" });
    CHECK(fixed.log_count("at its session's request") == 0);
    CHECK(fixed.stop() == 0);
}

TEST_CASE("malformed input closes only its connection, with the AMQP code for it", "[integration][amqp091]")
{
    broker_process b(listener);
    start(b);
    scenarios(b,
              { "malformed_end_octet",
                "malformed_oversized",
                "malformed_unknown_method",
                "malformed_header_without_publish",
                "malformed_closed_channel",
                "malformed_bad_table",
                "wrong_protocol_header" });
    // plexusd is still there for everyone else.
    scenarios(b, { "get" });
}

TEST_CASE("a confirmed persistent message on a durable queue survives a plexusd restart", "[integration][amqp091]")
{
    broker_process b(listener);
    start(b);
    scenarios(b, { "persist_before" });
    INFO(b.log());
    REQUIRE(b.stop() == 0);
    start(b);
    scenarios(b, { "persist_after" });
}

TEST_CASE("the disk alarm blocks publishers with connection.blocked", "[integration][amqp091]")
{
    broker_process b(std::string(listener) + "storage: { disk_free_limit_bytes: 9223372036854775807 }\n");
    start(b);
    scenarios(b, { "blocked" });
}

TEST_CASE("amqp-tools (rabbitmq-c): declare, publish, get and consume", "[integration][amqp091]")
{
    broker_process b(listener);
    start(b);
    tool(b, { "amqp-declare-queue", "--queue=tools-q", "--durable" });
    tool(b, { "amqp-publish", "--routing-key=tools-q", "--body=first", "--persistent" });
    tool(b, { "amqp-publish", "--routing-key=tools-q", "--body=second", "--content-type=text/plain" });
    CHECK(tool(b, { "amqp-get", "--queue=tools-q" }).out == "first");
    CHECK(tool(b, { "amqp-consume", "--queue=tools-q", "--count=1", "cat" }).out == "second");
    // amqp-get exits non-zero on an empty queue: the queue was drained by get and consume.
    auto empty = run_process(
      { "amqp-get", "--url=amqp://guest:guest@127.0.0.1:" + std::to_string(b.port("amqp091")), "--queue=tools-q" },
      std::chrono::seconds(20));
    CHECK(empty.exit_code != 0);
}
