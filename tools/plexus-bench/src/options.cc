#include "options.h"

#include <charconv>
#include <cmath>
#include <limits>

namespace plexus::bench {

const char* const usage_text = R"(usage: plexus-bench [options]
One load-generating run against a broker; prints one JSON line with the results on stdout.
Exit codes: 0 ok, 1 messages were lost, duplicated or corrupted (or publishes refused),
2 the broker could not be reached or failed the run, 64 usage.

  --driver NAME          protocol driver: amqp (default), mqtt, stomp or kafka (those this
                         build has); relay: no broker, a zero-work relay in this process that
                         measures the machine's floor (two loopback TCP hops)
  --host H --port P      broker address (default 127.0.0.1, the protocol's standard port)
  --vhost V --user U --password P    AMQP vhost / STOMP host, and the login of every protocol
                         (default / guest guest)
  --producers N          publishing connections (default 1)
  --consumers N          consuming connections (default one per destination; 0: publish only,
                         nothing is checked)
  --size BYTES           message body size, >= 32 (default 100)
  --count N              messages to send in total over all producers
  --duration SECONDS     send for this long instead (default: --count 100000)
  --rate MSG_PER_S       fixed-rate open loop over all producers (latency from the scheduled send
                         time); without it, as fast as possible
  --confirm WINDOW       publisher confirms, at most WINDOW unconfirmed per producer (MQTT: the
                         in-flight window of QoS 1/2 publishes, default 1000; STOMP: receipts)
  --persistent           persistent messages (delivery mode 2) on durable queues
  --manual-ack           consumers acknowledge (multiple, every --ack-every deliveries; STOMP:
                         ack:client-individual, each message)
  --prefetch N           consumer prefetch (basic.qos); default unlimited
  --ack-every N          manual acks: ack after N deliveries (default prefetch / 2, at least 1)
  --fanout N             N queues bound to a fanout exchange; each message is delivered N times
  --queue-type T         AMQP x-queue-type: classic, quorum or stream
  --qos 0|1|2            MQTT QoS of the publishes and the subscriptions (default 0)
  --mqtt-version 3.1.1|5 MQTT protocol version (default 3.1.1)
  --acks 0|1|all         Kafka producer acks (default all)
  --linger-ms MS         Kafka producer linger.ms (default 5, with --rate 0)
  --backlog              consumers start reading only once every message is sent and
                         confirmed; the delivery rate is then how fast they drained the backlog
  --label TEXT           copied into the JSON line
  --drain-timeout S      end the run when consumers got nothing for S seconds after the
                         producers finished (default 10); what is missing then is lost
  --cpu-pid NAME=PID     also report the CPU seconds PID used during the run (repeatable)
  --progress auto|always|never   the live progress line on stderr (auto: when stderr is a TTY)
  --list-drivers         print the drivers this build has, one a line, and exit
)";

namespace {

template<typename T>
T number(const std::string& flag, const std::string& text, T lo, T hi)
{
    T v{};
    const char* end = text.data() + text.size();
    auto [p, ec] = std::from_chars(text.data(), end, v);
    if (ec != std::errc() || p != end || v < lo || v > hi) {
        throw usage_error(flag + ": expected a number in " + std::to_string(lo) + ".." + std::to_string(hi) +
                          ", got '" + text + "'");
    }
    return v;
}

double real(const std::string& flag, const std::string& text, double lo)
{
    std::size_t used = 0;
    double v = 0;
    try {
        v = std::stod(text, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used != text.size() || !std::isfinite(v) || v < lo) {
        throw usage_error(flag + ": expected a number >= " + std::to_string(lo) + ", got '" + text + "'");
    }
    return v;
}

} // namespace

options parse_options(int argc, const char* const* argv, bool& help)
{
    options o;
    help = false;
    bool have_count = false;
    std::string kafka_only; // the first Kafka producer option given, refused with other drivers
    for (int i = 1; i < argc; ++i) {
        std::string flag = argv[i];
        if (flag == "-h" || flag == "--help") {
            help = true;
            return o;
        }
        if (flag == "--persistent") {
            o.persistent = true;
            continue;
        }
        if (flag == "--manual-ack") {
            o.manual_ack = true;
            continue;
        }
        if (flag == "--backlog") {
            o.backlog = true;
            continue;
        }
        if (flag.rfind("--", 0) != 0) {
            throw usage_error("unexpected argument '" + flag + "'");
        }
        if (i + 1 >= argc) {
            throw usage_error(flag + " needs a value");
        }
        std::string v = argv[++i];
        constexpr auto i32 = std::numeric_limits<std::int32_t>::max();
        constexpr auto u32 = std::numeric_limits<std::uint32_t>::max();
        if (flag == "--driver") {
            o.driver = v;
        } else if (flag == "--host") {
            o.host = v;
        } else if (flag == "--port") {
            o.port = number<std::uint16_t>(flag, v, 1, 65535);
        } else if (flag == "--vhost") {
            o.vhost = v;
        } else if (flag == "--user") {
            o.user = v;
        } else if (flag == "--password") {
            o.password = v;
        } else if (flag == "--producers") {
            o.producers = number<int>(flag, v, 1, 10000);
        } else if (flag == "--consumers") {
            o.consumers = number<int>(flag, v, 0, 10000);
        } else if (flag == "--size") {
            o.size = number<std::size_t>(flag, v, 32, std::size_t{ 128 } << 20);
        } else if (flag == "--count") {
            o.count = number<std::uint64_t>(flag, v, 1, std::uint64_t{ 1 } << 34);
            have_count = true;
        } else if (flag == "--duration") {
            o.duration_s = real(flag, v, 0.001);
        } else if (flag == "--rate") {
            o.rate = real(flag, v, 0.001);
        } else if (flag == "--confirm") {
            o.confirm_window = number<std::uint32_t>(flag, v, 1, u32);
        } else if (flag == "--prefetch") {
            o.prefetch = number<std::uint32_t>(flag, v, 1, 65535);
        } else if (flag == "--ack-every") {
            o.ack_every = number<std::uint32_t>(flag, v, 1, u32);
        } else if (flag == "--fanout") {
            o.fanout = number<int>(flag, v, 1, 1000);
        } else if (flag == "--queue-type") {
            if (v != "classic" && v != "quorum" && v != "stream") {
                throw usage_error("--queue-type: expected classic, quorum or stream, got '" + v + "'");
            }
            o.queue_type = v;
        } else if (flag == "--qos") {
            o.qos = number<int>(flag, v, 0, 2);
        } else if (flag == "--mqtt-version") {
            if (v == "3.1.1" || v == "4") {
                o.mqtt_version = 4;
            } else if (v == "5" || v == "5.0") {
                o.mqtt_version = 5;
            } else {
                throw usage_error("--mqtt-version: expected 3.1.1 or 5, got '" + v + "'");
            }
        } else if (flag == "--acks") {
            if (v == "all" || v == "-1") {
                o.acks = -1;
            } else if (v == "0" || v == "1") {
                o.acks = v == "1" ? 1 : 0;
            } else {
                throw usage_error("--acks: expected 0, 1 or all, got '" + v + "'");
            }
            kafka_only = kafka_only.empty() ? flag : kafka_only;
        } else if (flag == "--linger-ms") {
            o.linger_ms = number<int>(flag, v, 0, 900000); // librdkafka's own limit
            kafka_only = kafka_only.empty() ? flag : kafka_only;
        } else if (flag == "--label") {
            o.label = v;
        } else if (flag == "--drain-timeout") {
            o.drain_timeout_s = real(flag, v, 0.01);
        } else if (flag == "--cpu-pid") {
            auto eq = v.find('=');
            if (eq == std::string::npos || eq == 0) {
                throw usage_error("--cpu-pid: expected NAME=PID, got '" + v + "'");
            }
            o.cpu_pids[v.substr(0, eq)] = number<int>(flag, v.substr(eq + 1), 1, i32);
        } else if (flag == "--progress") {
            if (v == "auto") {
                o.progress = options::progress_mode::automatic;
            } else if (v == "always") {
                o.progress = options::progress_mode::always;
            } else if (v == "never") {
                o.progress = options::progress_mode::never;
            } else {
                throw usage_error("--progress: expected auto, always or never, got '" + v + "'");
            }
        } else {
            throw usage_error("unknown option " + flag);
        }
    }
    if (!kafka_only.empty() && o.driver != "kafka") {
        throw usage_error(kafka_only + " is an option of the kafka driver");
    }
    if (have_count && o.duration_s > 0) {
        throw usage_error("--count and --duration exclude each other");
    }
    if (!have_count && o.duration_s == 0) {
        o.count = 100000;
    }
    if (o.consumers > 0 && o.consumers < o.destinations()) {
        throw usage_error("--consumers " + std::to_string(o.consumers) + " is fewer than the " +
                          std::to_string(o.destinations()) + " fanout queues");
    }
    if (o.count > 0 && o.count < static_cast<std::uint64_t>(o.producers)) {
        throw usage_error("--count is smaller than --producers");
    }
    return o;
}

} // namespace plexus::bench
