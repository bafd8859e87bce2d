#include "result_json.h"

#include <cmath>
#include <cstdio>

namespace plexus::bench {

namespace {

std::string quoted(const std::string& s)
{
    std::string out = "\"";
    for (unsigned char c : s) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (c < 0x20) {
                    char esc[8];
                    std::snprintf(esc, sizeof esc, "\\u%04x", c);
                    out += esc;
                } else {
                    out += static_cast<char>(c);
                }
        }
    }
    return out + "\"";
}

std::string num(double v, int digits = 3)
{
    if (!std::isfinite(v)) {
        return "null";
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}

class object
{
  public:
    object& add(const char* key, const std::string& raw)
    {
        _text.append(_text.empty() ? "{" : ",").append(quoted(key)).append(":").append(raw);
        return *this;
    }
    object& add(const char* key, std::uint64_t v) { return add(key, std::to_string(v)); }
    object& add(const char* key, bool v) { return add(key, std::string(v ? "true" : "false")); }
    std::string str() const { return _text.empty() ? "{}" : _text + "}"; }

  private:
    std::string _text;
};

} // namespace

std::string result_json(const options& o, const run_result& r)
{
    auto rate = [](double n, double s) { return s > 0 ? n / s : 0.0; };
    const auto& d = r.deliveries;
    // With --backlog consumers read only after the producers finished: their rate is the
    // backlog's drain rate, counted from when they began.
    double delivery_rate = rate(double(d.received), r.delivery_s - r.consume_start_s);

    const auto& h = r.latency_ns;
    auto us = [](std::uint64_t ns) { return num(double(ns) / 1e3, 1); };
    object latency;
    latency.add("count", h.count())
      .add("p50", us(h.quantile(0.50)))
      .add("p90", us(h.quantile(0.90)))
      .add("p99", us(h.quantile(0.99)))
      .add("p999", us(h.quantile(0.999)))
      .add("max", us(h.max()))
      .add("mean", num(h.mean() / 1e3, 1));

    object cpu;
    for (const auto& [name, s] : r.cpu_s) {
        cpu.add(name.c_str(), s < 0 ? std::string("null") : num(s));
    }

    object config;
    config.add("producers", std::uint64_t(o.producers))
      .add("consumers", std::uint64_t(o.consumer_count()))
      .add("destinations", std::uint64_t(o.destinations()))
      .add("size", std::uint64_t(o.size))
      .add("count", o.count)
      .add("duration_s", num(o.duration_s))
      .add("rate", num(o.rate))
      .add("confirm_window", std::uint64_t(o.confirm_window))
      .add("persistent", o.persistent)
      .add("manual_ack", o.manual_ack)
      .add("prefetch", std::uint64_t(o.prefetch))
      .add("fanout", std::uint64_t(o.fanout))
      .add("queue_type", quoted(o.queue_type))
      .add("qos", std::uint64_t(o.qos))
      .add("mqtt_version", quoted(o.mqtt_version == 5 ? "5" : "3.1.1"))
      .add("acks", o.acks < 0 ? quoted("all") : std::to_string(o.acks))
      .add("linger_ms", o.driver == "kafka" ? std::to_string(o.kafka_linger_ms()) : std::string("null"))
      .add("backlog", o.backlog);

    char run_id[16];
    std::snprintf(run_id, sizeof run_id, "%08x", r.run_id);
    object top;
    top.add("tool", quoted("plexus-bench"))
      .add("driver", quoted(o.driver))
      .add("label", quoted(o.label))
      .add("host", quoted(o.host))
      .add("port", std::uint64_t(o.port))
      .add("run_id", quoted(run_id))
      .add("ok", r.clean())
      .add("error", quoted(r.error))
      .add("config", config.str())
      .add("sent", r.sent)
      .add("confirmed", r.publishes.confirmed)
      .add("refused", r.publishes.refused)
      .add("confirms_complete", r.confirms_complete)
      .add("checked", r.checked)
      .add("expected", d.expected)
      .add("received", d.received)
      .add("unique", d.unique)
      .add("lost", d.lost)
      .add("duplicated", d.duplicated)
      .add("corrupted", d.corrupted)
      .add("redelivered", d.redelivered)
      .add("send_s", num(r.send_s, 4))
      .add("delivery_s", num(r.delivery_s, 4))
      .add("consume_start_s", num(r.consume_start_s, 4))
      .add("send_rate", num(rate(double(r.sent), r.send_s), 1))
      .add("confirm_s", num(r.confirm_s, 4))
      .add("confirm_rate", num(rate(double(r.publishes.confirmed), r.confirm_s), 1))
      .add("delivery_rate", num(delivery_rate, 1))
      .add("delivery_mb_per_s", num(delivery_rate * double(o.size) / 1e6, 3))
      .add("latency_us", latency.str())
      .add("client_cpu_s", num(r.client_cpu_s))
      .add("cpu_s", cpu.str());
    return top.str();
}

} // namespace plexus::bench
