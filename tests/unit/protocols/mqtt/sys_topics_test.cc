// Which exchange a filter binds to, and the $SYS values as Mosquitto names and formats them.
#include "sys_topics.h"

#include <catch2/catch.hpp>

#include <map>

using namespace plexus::protocol::mqtt;

TEST_CASE("only $SYS filters bind to the $SYS exchange", "[unit][mqtt]")
{
    CHECK(exchange_for("$SYS/#") == sys_exchange);
    CHECK(exchange_for("$SYS/broker/+") == sys_exchange);
    CHECK(exchange_for("$SYS") == sys_exchange);
    CHECK(exchange_for("#") == "amq.topic");
    CHECK(exchange_for("+/broker/uptime") == "amq.topic"); // a leading wildcard never matches '$'
    CHECK(exchange_for("$SYSTEM/x") == "amq.topic");
    CHECK(exchange_for("$share/g/$SYS/#") == "amq.topic"); // the caller passes the group's filter
    CHECK(exchange_for("a/$SYS/#") == "amq.topic");
}

TEST_CASE("the $SYS values come from the counters", "[unit][mqtt]")
{
    sys_counters c;
    c.clients_connected = 3;
    sys_counters::bump(c.packets_received);
    sys_counters::bump(c.packets_received);
    sys_counters::bump(c.publishes_sent);
    std::map<std::string, std::string> v;
    for (auto& [topic, value] : sys_values(c, std::chrono::seconds(42), 5, "1.2.3")) {
        CHECK(v.emplace(topic, value).second); // each topic once
    }
    CHECK(v.at("$SYS/broker/version") == "plexus 1.2.3");
    CHECK(v.at("$SYS/broker/uptime") == "42 seconds");
    CHECK(v.at("$SYS/broker/clients/connected") == "3");
    CHECK(v.at("$SYS/broker/messages/received") == "2");
    CHECK(v.at("$SYS/broker/messages/sent") == "0");
    CHECK(v.at("$SYS/broker/publish/messages/received") == "0");
    CHECK(v.at("$SYS/broker/publish/messages/sent") == "1");
    CHECK(v.at("$SYS/broker/retained messages/count") == "5");
}
