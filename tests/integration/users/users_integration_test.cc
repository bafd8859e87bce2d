// Users from the config, through every gateway: a real plexusd with an AMQP, two MQTT (one
// per vhost) and a STOMP listener and two configured users, and the clients people use (pika, paho-mqtt,
// stomp.py) logging in right, wrong, and to a vhost they may not use.
#include "support/broker_process.h"

#include <catch2/catch.hpp>

#include <filesystem>

using plexus::tests::broker_process;
using plexus::tests::run_process;

TEST_CASE("configured users log in through AMQP, MQTT and STOMP, and only to their vhosts", "[integration][users]")
{
    broker_process b("listeners: [{ name: amqp091, protocol: amqp091, port: 0 },"
                     " { name: mqtt, protocol: mqtt, port: 0 }, { name: stomp, protocol: stomp, port: 0 },"
                     " { name: mqtt-other, protocol: mqtt, port: 0, config: { vhost: other } }]\n"
                     "vhosts: [/, other]\n"
                     "users:\n"
                     "  - { name: app, password: s3cret }\n"
                     "  - { name: limited, password: pw, vhosts: [other] }\n");
    INFO(b.log());
    REQUIRE(b.start());
    REQUIRE(std::filesystem::exists("/usr/bin/python3"));
    auto r = run_process({ "/usr/bin/python3",
                           PLEXUS_USERS_SCENARIO,
                           std::to_string(b.port("amqp091")),
                           std::to_string(b.port("mqtt")),
                           std::to_string(b.port("stomp")),
                           std::to_string(b.port("mqtt-other")) },
                         std::chrono::seconds(60));
    INFO("users.py: " << r.describe() << "\nstdout:\n" << r.out << "\nstderr:\n" << r.err << "\nplexusd:\n" << b.log());
    REQUIRE(r.exit_code == 0);
    CHECK(r.out == "ok\n");
}
