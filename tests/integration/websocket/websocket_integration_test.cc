// The stomp and mqtt gateways on WebSocket listeners (transport: websocket) in a real plexusd
// on port 0, beside a plain MQTT listener and the amqp091 gateway for the interop scenarios;
// each scenario in scenarios.py asserts what an application (or a browser) would observe.
#include "support/broker_process.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <vector>

using plexus::tests::broker_process;
using plexus::tests::run_process;

namespace {

constexpr const char* python = "/usr/bin/python3"; // Debian's, with python3-stomp, -websocket, -paho-mqtt, -pika
constexpr const char* listeners =
  "listeners:\n"
  "  - { name: stomp-ws, protocol: stomp, port: 0, config: { transport: websocket } }\n"
  "  - { name: stomp-ws-binary, protocol: stomp, port: 0,\n"
  "      config: { transport: websocket, websocket_path: /stomp, websocket_frames: binary } }\n"
  "  - { name: mqtt-ws, protocol: mqtt, port: 0, config: { transport: websocket, websocket_path: /ws } }\n"
  "  - { name: mqtt, protocol: mqtt, port: 0 }\n"
  "  - { name: amqp091, protocol: amqp091, port: 0 }\n";

void start(broker_process& b)
{
    INFO(b.log());
    REQUIRE(b.start());
    for (const char* name : { "stomp-ws", "stomp-ws-binary", "mqtt-ws", "mqtt", "amqp091" }) {
        REQUIRE(b.port(name) != 0);
    }
}

/// Runs scenarios.py against `b`; each named scenario must pass.
void scenarios(const broker_process& b, const std::vector<std::string>& names)
{
    REQUIRE(std::filesystem::exists(python));
    std::vector<std::string> argv{ python,
                                   PLEXUS_WEBSOCKET_SCENARIOS,
                                   std::to_string(b.port("stomp-ws")),
                                   std::to_string(b.port("stomp-ws-binary")),
                                   std::to_string(b.port("mqtt-ws")),
                                   std::to_string(b.port("mqtt")),
                                   std::to_string(b.port("amqp091")) };
    argv.insert(argv.end(), names.begin(), names.end());
    auto r = run_process(argv, std::chrono::seconds(60));
    INFO("scenarios.py: " << r.describe() << "\nstdout:\n"
                          << r.out << "\nstderr:\n"
                          << r.err << "\nplexusd:\n"
                          << b.log());
    for (const char* module : { "stomp", "websocket", "paho", "pika" }) {
        if (r.err.find("No module named '" + std::string(module)) != std::string::npos) {
            FAIL("a Python client is missing (" << module << "): run scripts/install-deps.sh");
        }
    }
    REQUIRE(r.spawn_error.empty());
    REQUIRE_FALSE(r.timed_out);
    REQUIRE(r.exit_code == 0);
    for (const auto& n : names) {
        CHECK(r.out.find("ok " + n + "\n") != std::string::npos);
    }
}

} // namespace

TEST_CASE("stomp.py 1.2 over WebSockets: subprotocols, receipts, acks and redelivery, large bodies, binary frames",
          "[integration][websocket]")
{
    broker_process b(listeners);
    start(b);
    scenarios(b, { "stomp_ws", "stomp_ws_binary" });
}

TEST_CASE("paho-mqtt over WebSockets: QoS 0 and 1 publish and subscribe, 3.1.1 and 5.0", "[integration][websocket]")
{
    broker_process b(listeners);
    start(b);
    scenarios(b, { "mqtt_ws" });
}

TEST_CASE("the MQTT TCP and WebSocket listeners share retained messages and sessions", "[integration][websocket]")
{
    broker_process b(listeners);
    start(b);
    scenarios(b, { "mqtt_listeners_share" });
}

TEST_CASE("WebSocket clients exchange messages with MQTT and AMQP 0-9-1 clients over TCP", "[integration][websocket]")
{
    broker_process b(listeners);
    start(b);
    scenarios(b, { "interop" });
}

TEST_CASE("bad upgrades get HTTP errors, framing errors get close codes, other clients keep working",
          "[integration][websocket]")
{
    broker_process b(listeners);
    start(b);
    scenarios(b, { "raw_errors" });
}
