// STOMP ⇄ MQTT ⇄ AMQP 0-9-1, and MQTT → Kafka, in one plexusd: a message published through one
// protocol reaches the others' subscribers with the properties docs/interop.md maps (stomp.py,
// paho-mqtt, pika, kafka-python).
#include "support/broker_process.h"

#include <catch2/catch.hpp>

#include <filesystem>

using plexus::tests::broker_process;
using plexus::tests::run_process;

TEST_CASE("a message crosses STOMP, MQTT, AMQP and Kafka through amq.topic with its properties",
          "[integration][interop]")
{
    // Every listener on port 0: the Kafka one tells its clients the port they connected to.
    broker_process b("listeners: [{ name: amqp091, protocol: amqp091, port: 0 },"
                     " { name: mqtt, protocol: mqtt, port: 0 }, { name: stomp, protocol: stomp, port: 0 },"
                     " { name: kafka, protocol: kafka, port: 0 }]\n");
    INFO(b.log());
    REQUIRE(b.start());
    REQUIRE(std::filesystem::exists("/usr/bin/python3"));
    auto r = run_process({ "/usr/bin/python3",
                           PLEXUS_INTEROP_SCENARIO,
                           std::to_string(b.port("amqp091")),
                           std::to_string(b.port("mqtt")),
                           std::to_string(b.port("stomp")),
                           std::to_string(b.port("kafka")) },
                         std::chrono::seconds(60));
    INFO("interop.py: " << r.describe() << "\nstdout:\n"
                        << r.out << "\nstderr:\n"
                        << r.err << "\nplexusd:\n"
                        << b.log());
    REQUIRE(r.exit_code == 0);
    CHECK(r.out == "ok\n");
}
