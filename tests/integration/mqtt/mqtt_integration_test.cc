// The mqtt gateway in a real plexusd on port 0, used by the clients MQTT users have: paho-mqtt
// (the scenarios in scenarios.py, each asserting what an application would observe, with
// pika on the AMQP side of the interop ones and raw sockets for malformed input) and
// Mosquitto's command-line clients.
#include "support/broker_process.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <thread>
#include <vector>

using plexus::tests::broker_process;
using plexus::tests::process_result;
using plexus::tests::run_process;

namespace {

constexpr const char* python = "/usr/bin/python3"; // Debian's, with python3-paho-mqtt and pika
constexpr const char* listeners = "listeners: [{ name: mqtt, protocol: mqtt, port: 0 },"
                                  " { name: amqp091, protocol: amqp091, port: 0 }]\n";

void start(broker_process& b)
{
    INFO(b.log());
    REQUIRE(b.start());
    REQUIRE(b.port("mqtt") != 0);
}

/// Runs scenarios.py against `b`; each named scenario must pass.
void scenarios(const broker_process& b, const std::vector<std::string>& names)
{
    REQUIRE(std::filesystem::exists(python));
    std::vector<std::string> argv{
        python, PLEXUS_MQTT_SCENARIOS, std::to_string(b.port("mqtt")), std::to_string(b.port("amqp091"))
    };
    argv.insert(argv.end(), names.begin(), names.end());
    auto r = run_process(argv, std::chrono::seconds(90));
    INFO("scenarios.py: " << r.describe() << "\nstdout:\n"
                          << r.out << "\nstderr:\n"
                          << r.err << "\nplexusd:\n"
                          << b.log());
    if (r.err.find("No module named 'paho'") != std::string::npos) {
        FAIL("python3-paho-mqtt is missing: run scripts/install-deps.sh");
    }
    REQUIRE(r.spawn_error.empty());
    REQUIRE_FALSE(r.timed_out);
    REQUIRE(r.exit_code == 0);
    for (const auto& n : names) {
        CHECK(r.out.find("ok " + n + "\n") != std::string::npos);
    }
}

std::vector<std::string> mosquitto(const broker_process& b, std::string tool, std::vector<std::string> args)
{
    args.insert(args.begin(), { tool, "-h", "127.0.0.1", "-p", std::to_string(b.port("mqtt")) });
    return args;
}

process_result run_tool(const broker_process& b, std::vector<std::string> argv)
{
    auto r = run_process(argv, std::chrono::seconds(20));
    INFO(argv.front() << ": " << r.describe() << "\nplexusd:\n" << b.log());
    if (!r.spawn_error.empty()) {
        FAIL(argv.front() << " is missing (mosquitto-clients): run scripts/install-deps.sh");
    }
    REQUIRE_FALSE(r.timed_out);
    REQUIRE(r.exit_code == 0);
    return r;
}

} // namespace

TEST_CASE("paho: publishers move to their subscriber's shard and lose nothing on the way", "[integration][mqtt]")
{
    broker_process b(listeners);
    start(b);
    scenarios(b, { "follow_subscriber_shard" });
    // Twelve publishers over two shards: some started on the subscriber's shard, nearly surely
    // not all (1 in 4096). Each of the others moved once; the mixed client and the taker never.
    const auto moves = b.log_count("at its session's request");
    INFO(b.log());
    CHECK(moves >= 1);
    CHECK(moves <= 12);
    CHECK(b.stop() == 0); // a clean exit: a sanitizer report after the moves fails it

    // Turned off in the listener's config: nobody moves.
    broker_process fixed("listeners: [{ name: mqtt, protocol: mqtt, port: 0, config: { follow_queue_shard: false } },"
                         " { name: amqp091, protocol: amqp091, port: 0 }]\n");
    start(fixed);
    scenarios(fixed, { "follow_subscriber_shard" });
    CHECK(fixed.log_count("at its session's request") == 0);
    CHECK(fixed.stop() == 0);
}

TEST_CASE("paho: QoS 0, 1 and 2 over 3.1.1 and 5.0, wildcards, shared subscriptions", "[integration][mqtt]")
{
    broker_process b(listeners);
    start(b);
    scenarios(
      b, { "qos_v311", "qos_v5", "qos2_many", "wildcards", "unsubscribe", "no_local", "shared", "shared_persistent" });
}

TEST_CASE("paho: retained messages, wills, takeover and persistent sessions", "[integration][mqtt]")
{
    broker_process b(listeners);
    start(b);
    scenarios(b,
              { "retained",
                "will",
                "takeover",
                "persistent_v311",
                "persistent_v5",
                "session_expiry_zero",
                "message_expiry",
                "auth" });
}

TEST_CASE("paho: v5 CONNACK and publish properties, and interop with AMQP both ways", "[integration][mqtt]")
{
    broker_process b(listeners);
    start(b);
    scenarios(b, { "connack_v5", "properties_v5", "outbound_alias_size", "mqtt_to_amqp", "amqp_to_mqtt" });
}

TEST_CASE("malformed packets close only their connection, with the v5 reason code", "[integration][mqtt]")
{
    broker_process b(listeners);
    start(b);
    scenarios(b,
              { "malformed_remaining_length",
                "malformed_packet_type",
                "malformed_publish_before_connect",
                "malformed_utf8_topic",
                "malformed_v5_reasons",
                "malformed_connect" });
    scenarios(b, { "qos_v311" }); // plexusd is still there for everyone
}

TEST_CASE("retained messages and persistent sessions with their subscriptions and QoS 2 ids and expiry survive a "
          "plexusd restart",
          "[integration][mqtt]")
{
    broker_process b(listeners);
    start(b);
    scenarios(b, { "persist_before", "retained_before", "session_state_before" });
    INFO(b.log());
    REQUIRE(b.stop() == 0);
    start(b);
    scenarios(b, { "persist_after", "retained_after", "session_state_after" });
    CHECK(b.log().find("1 retained message(s) restored") != std::string::npos);
    CHECK(b.log().find("persistent session(s) restored") != std::string::npos);
}

TEST_CASE("the $SYS topics are published every sys_interval_s to $SYS subscribers only", "[integration][mqtt]")
{
    broker_process b("listeners: [{ name: mqtt, protocol: mqtt, port: 0, config: { sys_interval_s: 1 } },"
                     " { name: amqp091, protocol: amqp091, port: 0 }]\n");
    start(b);
    scenarios(b, { "sys_topics" });
    // What a Mosquitto user runs: one round of the retained values, with their topics.
    auto r = run_process(mosquitto(b, "mosquitto_sub", { "-t", "$SYS/broker/uptime", "-v", "-C", "1", "-W", "10" }),
                         std::chrono::seconds(20));
    INFO(r.describe() << "\n" << r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("$SYS/broker/uptime ") == 0);
    CHECK(r.out.find(" seconds\n") != std::string::npos);
}

TEST_CASE("max_keep_alive_s caps what clients ask for: v5 hears Server Keep Alive and 3.1.1 is refused",
          "[integration][mqtt]")
{
    broker_process b("listeners: [{ name: mqtt, protocol: mqtt, port: 0, config: { max_keep_alive_s: 2 } },"
                     " { name: amqp091, protocol: amqp091, port: 0 }]\n");
    start(b);
    scenarios(b, { "max_keep_alive" });
}

TEST_CASE("mosquitto_pub and mosquitto_sub, 3.1.1 and 5.0, retained and QoS 2", "[integration][mqtt]")
{
    broker_process b(listeners);
    start(b);
    for (const char* version : { "mqttv311", "mqttv5" }) {
        const std::string topic = std::string("tools/") + version;
        // A retained QoS 2 message is there for a subscriber that comes later.
        run_tool(b, mosquitto(b, "mosquitto_pub", { "-V", version, "-q", "2", "-r", "-t", topic, "-m", "kept" }));
        auto sub = run_tool(
          b, mosquitto(b, "mosquitto_sub", { "-V", version, "-q", "2", "-t", "tools/+", "-C", "1", "-W", "10", "-v" }));
        CHECK(sub.out.find(topic + " kept") != std::string::npos);
        // Clearing it: the next subscriber waits in vain (-W ends it, exit code 27).
        run_tool(b, mosquitto(b, "mosquitto_pub", { "-V", version, "-r", "-n", "-t", topic }));
        auto none = run_process(mosquitto(b, "mosquitto_sub", { "-V", version, "-t", topic, "-C", "1", "-W", "1" }),
                                std::chrono::seconds(20));
        CHECK(none.out.empty());
    }
    // A persistent 3.1.1 session collects a QoS 1 message while mosquitto_sub is away.
    run_tool(b, mosquitto(b, "mosquitto_sub", { "-i", "tools-dev", "-c", "-q", "1", "-t", "dev/#", "-E" }));
    run_tool(b, mosquitto(b, "mosquitto_pub", { "-q", "1", "-t", "dev/1", "-m", "queued" }));
    auto back = run_tool(b,
                         mosquitto(b,
                                   "mosquitto_sub",
                                   { "-i", "tools-dev", "-c", "-q", "1", "-t", "dev/#", "-C", "1", "-W", "10", "-v" }));
    CHECK(back.out == "dev/1 queued\n");
}
