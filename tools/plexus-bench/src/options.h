// The command line of plexus-bench: one run of one driver. Protocol-neutral options are
// fields here; a driver reads the ones it understands and refuses combinations it cannot do.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace plexus::bench {

struct options
{
    std::string driver = "amqp";
    std::string host = "127.0.0.1";
    std::uint16_t port = 0; // 0: the driver's standard port
    std::string vhost = "/";
    std::string user = "guest";
    std::string password = "guest";

    int producers = 1;
    int consumers = -1; // -1: one per destination
    std::size_t size = 100;
    std::uint64_t count = 0;          // total messages over all producers; 0 with duration
    double duration_s = 0;            // send for this long; 0 with count
    double rate = 0;                  // total msg/s over all producers, open loop; 0: as fast as possible
    std::uint32_t confirm_window = 0; // unconfirmed publishes per producer; 0: no confirms
    bool persistent = false;
    bool manual_ack = false;
    std::uint32_t prefetch = 0;  // 0: the driver's default (unlimited for AMQP)
    std::uint32_t ack_every = 0; // manual acks: acknowledge (multiple) after this many; 0: prefetch / 2
    int fanout = 0;              // N > 0: N queues bound to one fanout exchange
    std::string queue_type;      // AMQP x-queue-type (classic, quorum, stream); empty: the broker's default
    int qos = 0;                 // MQTT QoS of publishes and subscriptions
    int mqtt_version = 4;        // MQTT protocol level: 4 (3.1.1) or 5
    int acks = -1;               // Kafka producer acks: 0, 1 or -1 (all, librdkafka's default)
    int linger_ms = -1;          // Kafka producer linger.ms; -1: 5 as fast as possible, 0 with --rate
    bool backlog = false;        // consumers start once every message is sent (and confirmed)

    std::string label;                   // copied into the JSON line
    double drain_timeout_s = 10;         // how long consumers may go without a delivery at the end
    std::map<std::string, int> cpu_pids; // name -> pid whose CPU time the run reports
    enum class progress_mode
    {
        automatic,
        always,
        never
    } progress = progress_mode::automatic;

    /// Destinations consumers read from: the fanout's queues, else one.
    int destinations() const noexcept { return fanout > 0 ? fanout : 1; }
    int consumer_count() const noexcept { return consumers >= 0 ? consumers : destinations(); }
    /// Kafka: batches wait up to 5 ms to fill when throughput is the point; at a fixed rate
    /// every message goes at once, as latency is.
    int kafka_linger_ms() const noexcept { return linger_ms >= 0 ? linger_ms : (rate > 0 ? 0 : 5); }
};

/// Parses argv into options. Throws usage_error naming the bad argument; `help` is set (and
/// nothing else checked) for -h / --help.
options parse_options(int argc, const char* const* argv, bool& help);

struct usage_error : std::exception
{
    std::string text;
    explicit usage_error(std::string t)
      : text(std::move(t))
    {
    }
    const char* what() const noexcept override { return text.c_str(); }
};

extern const char* const usage_text;

} // namespace plexus::bench
