// The stomp gateway in a real plexusd on port 0, used by the client STOMP users have in
// Python (stomp.py) and by raw sockets for what no client sends: the scenarios in
// scenarios.py, each asserting what an application would observe. The amqp091 gateway runs
// beside it for the interop scenarios.
#include "support/broker_process.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <vector>

using plexus::tests::broker_process;
using plexus::tests::run_process;

namespace {

constexpr const char* python = "/usr/bin/python3"; // Debian's, with python3-stomp and python3-pika
// A small body limit, so that the oversized-frame scenarios need only 70 kB.
constexpr const char* listeners = "listeners:\n"
                                  "  - { name: stomp, protocol: stomp, port: 0, config: { max_body_bytes: 65536 } }\n"
                                  "  - { name: amqp091, protocol: amqp091, port: 0 }\n";

void start(broker_process& b)
{
    INFO(b.log());
    REQUIRE(b.start());
    REQUIRE(b.port("stomp") != 0);
    REQUIRE(b.port("amqp091") != 0);
}

/// Runs scenarios.py against `b`; each named scenario must pass.
void scenarios(const broker_process& b, const std::vector<std::string>& names)
{
    REQUIRE(std::filesystem::exists(python));
    std::vector<std::string> argv{
        python, PLEXUS_STOMP_SCENARIOS, std::to_string(b.port("stomp")), std::to_string(b.port("amqp091"))
    };
    argv.insert(argv.end(), names.begin(), names.end());
    auto r = run_process(argv, std::chrono::seconds(60));
    INFO("scenarios.py: " << r.describe() << "\nstdout:\n"
                          << r.out << "\nstderr:\n"
                          << r.err << "\nplexusd:\n"
                          << b.log());
    if (r.err.find("No module named 'stomp'") != std::string::npos) {
        FAIL("python3-stomp is missing: run scripts/install-deps.sh");
    }
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

} // namespace

TEST_CASE("stomp.py 1.0, 1.1 and 1.2: frames, receipts, ack modes, NACK, prefetch and transactions",
          "[integration][stomp]")
{
    broker_process b(listeners);
    start(b);
    scenarios(b, { "versions", "receipts", "ack_modes", "nack", "prefetch", "transactions" });
}

TEST_CASE("destinations: queues, topics, exchanges, existing and temporary queues, durable subscriptions",
          "[integration][stomp]")
{
    broker_process b(listeners);
    start(b);
    scenarios(b, { "destinations", "temp_queue", "durable_topic", "queue_arguments" });
}

TEST_CASE("STOMP and AMQP 0-9-1 clients exchange messages with their properties", "[integration][stomp]")
{
    broker_process b(listeners);
    start(b);
    scenarios(b, { "interop" });
}

TEST_CASE("heart-beats: the server beats, a silent client is disconnected", "[integration][stomp]")
{
    broker_process b(listeners);
    start(b);
    scenarios(b, { "heartbeats" });
}

TEST_CASE("malformed frames and refused logins get ERROR then close, other clients are unaffected",
          "[integration][stomp]")
{
    broker_process b(listeners);
    start(b);
    scenarios(b, { "malformed", "login" });
    scenarios(b, { "versions" }); // plexusd is still there for everyone else
}

TEST_CASE("a persistent message on a /queue/ destination survives a plexusd restart", "[integration][stomp]")
{
    broker_process b(listeners);
    start(b);
    scenarios(b, { "persist_before" });
    INFO(b.log());
    REQUIRE(b.stop() == 0);
    start(b);
    scenarios(b, { "persist_after" });
}
