// The drivers this build has: each is compiled in when CMake found its client library (STOMP
// and the relay, which measures the machine's floor, need none).
#include "driver.h"

#ifdef PLEXUS_BENCH_HAVE_AMQP
#include "amqp_driver.h"
#endif
#ifdef PLEXUS_BENCH_HAVE_MQTT
#include "mqtt_driver.h"
#endif
#ifdef PLEXUS_BENCH_HAVE_KAFKA
#include "kafka_driver.h"
#endif
#include "relay_driver.h"
#include "stomp_driver.h"

namespace plexus::bench {

namespace {

struct entry
{
    const char* name;
    std::unique_ptr<driver> (*make)(const options&);
};

constexpr entry entries[] = {
#ifdef PLEXUS_BENCH_HAVE_AMQP
    { "amqp", make_amqp_driver },
#endif
#ifdef PLEXUS_BENCH_HAVE_MQTT
    { "mqtt", make_mqtt_driver },
#endif
    { "stomp", make_stomp_driver },
#ifdef PLEXUS_BENCH_HAVE_KAFKA
    { "kafka", make_kafka_driver },
#endif
    { "relay", make_relay_driver }, { nullptr, nullptr },
};

} // namespace

std::vector<std::string> driver_names()
{
    std::vector<std::string> names;
    for (const auto& e : entries) {
        if (e.name != nullptr) {
            names.emplace_back(e.name);
        }
    }
    return names;
}

std::unique_ptr<driver> make_driver(const options& o)
{
    for (const auto& e : entries) {
        if (e.name != nullptr && o.driver == e.name) {
            return e.make(o);
        }
    }
    std::string known;
    for (const auto& n : driver_names()) {
        known += (known.empty() ? "" : ", ") + n;
    }
    throw driver_error("no driver '" + o.driver + "' in this build (it has: " + (known.empty() ? "none" : known) + ")");
}

} // namespace plexus::bench
