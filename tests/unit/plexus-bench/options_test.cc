#include "options.h"

#include <catch2/catch.hpp>

#include <vector>

using namespace plexus::bench;

namespace {

options parse(std::vector<const char*> args)
{
    args.insert(args.begin(), "plexus-bench");
    bool help = false;
    return parse_options(static_cast<int>(args.size()), args.data(), help);
}

} // namespace

TEST_CASE("options: defaults and the scenario flags", "[plexus-bench][options]")
{
    auto d = parse({});
    CHECK(d.count == 100000);
    CHECK(d.size == 100);
    CHECK(d.consumer_count() == 1);
    CHECK(d.destinations() == 1);

    auto b = parse({ "--persistent", "--confirm", "1000", "--manual-ack", "--prefetch", "1000", "--duration", "2.5" });
    CHECK(b.persistent);
    CHECK(b.manual_ack);
    CHECK(b.confirm_window == 1000);
    CHECK(b.prefetch == 1000);
    CHECK(b.duration_s == 2.5);
    CHECK(b.count == 0);

    auto c = parse({ "--fanout", "4", "--cpu-pid", "broker=123", "--rate", "1000", "--queue-type", "quorum" });
    CHECK(c.destinations() == 4);
    CHECK(c.consumer_count() == 4);
    CHECK(c.cpu_pids.at("broker") == 123);
    CHECK(c.rate == 1000);
    CHECK(c.queue_type == "quorum");

    auto m = parse({ "--driver", "mqtt", "--qos", "1", "--mqtt-version", "5", "--producers", "1000" });
    CHECK(m.driver == "mqtt");
    CHECK(m.qos == 1);
    CHECK(m.mqtt_version == 5);
    CHECK(m.producers == 1000);
    CHECK(d.qos == 0);
    CHECK(d.mqtt_version == 4);
    CHECK(parse({ "--mqtt-version", "3.1.1" }).mqtt_version == 4);

    auto k = parse({ "--driver", "kafka", "--acks", "1", "--linger-ms", "0", "--backlog" });
    CHECK(k.acks == 1);
    CHECK(k.linger_ms == 0);
    CHECK(k.backlog);
    CHECK(parse({ "--driver", "kafka", "--acks", "all" }).acks == -1);
    CHECK(parse({ "--driver", "kafka", "--acks", "0" }).acks == 0);
    CHECK(d.acks == -1);
    CHECK(d.linger_ms == -1);
    CHECK_FALSE(d.backlog);
    CHECK(d.kafka_linger_ms() == 5);
    CHECK(parse({ "--rate", "1000" }).kafka_linger_ms() == 0);
    CHECK(k.kafka_linger_ms() == 0);
    CHECK(parse({ "--driver", "kafka", "--linger-ms", "20", "--rate", "10" }).kafka_linger_ms() == 20);
}

TEST_CASE("options: bad values are refused naming the flag", "[plexus-bench][options]")
{
    auto refused = [](std::vector<const char*> args, const std::string& part) {
        try {
            parse(std::move(args));
        } catch (const usage_error& e) {
            INFO(e.what());
            return std::string(e.what()).find(part) != std::string::npos;
        }
        return false;
    };
    CHECK(refused({ "--size", "31" }, "--size"));
    CHECK(refused({ "--count", "10", "--duration", "1" }, "exclude"));
    CHECK(refused({ "--port", "70000" }, "--port"));
    CHECK(refused({ "--rate", "fast" }, "--rate"));
    CHECK(refused({ "--fanout", "4", "--consumers", "2" }, "fanout"));
    CHECK(refused({ "--queue-type", "lazy" }, "--queue-type"));
    CHECK(refused({ "--cpu-pid", "123" }, "NAME=PID"));
    CHECK(refused({ "--qos", "3" }, "--qos"));
    CHECK(refused({ "--mqtt-version", "3.1" }, "--mqtt-version"));
    CHECK(refused({ "--driver", "kafka", "--acks", "2" }, "--acks"));
    CHECK(refused({ "--driver", "kafka", "--linger-ms", "-1" }, "--linger-ms"));
    CHECK(refused({ "--acks", "1" }, "kafka driver"));
    CHECK(refused({ "--driver", "mqtt", "--linger-ms", "5" }, "kafka driver"));
    CHECK(refused({ "--bogus", "1" }, "--bogus"));
    CHECK(refused({ "--count" }, "needs a value"));
}
