// The backlog benchmark of issue 3 (not part of ctest): a queue on a durable engine fills with
// N 100-byte messages and no consumer, then one consumer drains it. Reports the publish rate,
// the process's resident memory with the whole backlog stored (messages must be paged from
// storage: only indexes and cursors stay in memory) and the drain rate.
//
// A real broker in this process (two shards, as plexusd on this machine), driven through the
// kernel facade as a gateway drives it; the publisher keeps a bounded window of unconfirmed
// publishes, as a confirming AMQP client would.
//
//   backlog_bench [--messages N] [--engine file|rocksdb] [--dir DIR] [--window W]
#include "kernel/src/server/broker.h"

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>
#include <thread>

using namespace plexus;
using namespace std::chrono_literals;
using bench_clock = std::chrono::steady_clock;

namespace {

struct options
{
    std::uint64_t messages = 20'000'000;
    std::string engine = "file";
    std::string dir;
    std::uint64_t window = 20'000;
};

std::uint64_t rss_bytes()
{
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("VmRSS:", 0) == 0) {
            return std::stoull(line.substr(6)) * 1024; // kB
        }
    }
    return 0;
}

double mib(std::uint64_t b)
{
    return static_cast<double>(b) / (1024.0 * 1024.0);
}

double seconds_since(bench_clock::time_point t)
{
    return std::chrono::duration<double>(bench_clock::now() - t).count();
}

struct counting_sink final : sdk::delivery_sink
{
    std::atomic<std::uint64_t> delivered{ 0 };
    void deliver(std::vector<sdk::delivery> batch) noexcept override
    {
        delivered.fetch_add(batch.size(), std::memory_order_relaxed);
    }
    void cancelled(const sdk::status&) noexcept override {}
};

template<class T, class Call>
T call(sdk::kernel& k, Call c)
{
    auto p = std::make_shared<std::promise<T>>();
    auto f = p->get_future();
    k.shard().post([&k, p, c = std::move(c)]() mutable { c(k, [p](T v) { p->set_value(std::move(v)); }); });
    return f.get();
}

options parse(int argc, char** argv)
{
    options o;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        const std::string value = argv[i + 1];
        if (flag == "--messages") {
            o.messages = std::stoull(value);
        } else if (flag == "--engine") {
            o.engine = value;
        } else if (flag == "--dir") {
            o.dir = value;
        } else if (flag == "--window") {
            o.window = std::stoull(value);
        } else {
            fmt::print(stderr, "backlog_bench: unknown flag {}\n", flag);
            std::exit(2);
        }
    }
    if (o.dir.empty()) {
        const char* tmp = std::getenv("TMPDIR");
        o.dir = (std::filesystem::path(tmp != nullptr ? tmp : "/tmp") / "plexus-backlog-bench").string();
    }
    return o;
}

} // namespace

int main(int argc, char** argv)
{
    const auto opt = parse(argc, argv);
    std::filesystem::remove_all(opt.dir);
    kernel::broker_config config;
    config.shards = 2;
    config.admin_enabled = false;
    config.data_dir = opt.dir;
    config.plugin_dirs = { PLEXUS_PLUGIN_DIR };
    config.storage_engines = { { opt.engine, "{}" } };
    config.default_storage = opt.engine;
    config.routing_types = { { "direct", "{}" } };
    kernel::log_registry logs{ "warn" };
    kernel::plugin_registry plugins{ config.plugin_dirs };
    if (auto st = plugins.load_configured(config); !st.ok()) {
        fmt::print(stderr, "backlog_bench: {}\n", st.to_string());
        return 1;
    }
    auto created = kernel::broker::create(config, plugins, logs);
    if (!created || !(*created)->start().ok()) {
        fmt::print(stderr, "backlog_bench: the broker did not start\n");
        return 1;
    }
    auto& b = **created;
    auto& k = b.facade(0);
    sdk::queue_spec qs;
    qs.name = "backlog";
    qs.durable = true;
    if (!call<sdk::result<sdk::queue_info>>(
          k, [qs](sdk::kernel& k, auto done) { k.declare_queue(qs, std::move(done)); })) {
        fmt::print(stderr, "backlog_bench: cannot declare the queue\n");
        return 1;
    }
    const auto rss_empty = rss_bytes();

    // Publish: chunks of 1000 posted to the shard, at most `window` unconfirmed.
    auto body = sdk::buffer_chain::copy_of(std::string(100, 'x'));
    std::atomic<std::uint64_t> confirmed{ 0 };
    std::atomic<std::uint64_t> failed{ 0 };
    std::uint64_t sent = 0;
    const auto publish_began = bench_clock::now();
    std::uint64_t next_report = 1'000'000;
    while (sent < opt.messages) {
        while (sent - confirmed.load(std::memory_order_relaxed) >= opt.window) {
            std::this_thread::sleep_for(100us);
        }
        const std::uint64_t chunk = std::min<std::uint64_t>(1000, opt.messages - sent);
        k.shard().post([&k, &confirmed, &failed, body, chunk] {
            for (std::uint64_t i = 0; i < chunk; ++i) {
                auto m = std::make_shared<sdk::message>();
                m->routing_key = "backlog";
                m->body = body;
                sdk::publish_request r;
                r.msg = std::move(m);
                r.level = sdk::ack_level::stored;
                k.publish(std::move(r), [&confirmed, &failed](sdk::result<sdk::publish_ack> a) {
                    if (!a || a->routed != 1) {
                        failed.fetch_add(1, std::memory_order_relaxed);
                    }
                    confirmed.fetch_add(1, std::memory_order_relaxed);
                });
            }
        });
        sent += chunk;
        if (sent >= next_report) {
            fmt::print(stderr,
                       "published {:>10}  {:>9.0f} msg/s  rss {:7.1f} MiB\n",
                       sent,
                       static_cast<double>(sent) / seconds_since(publish_began),
                       mib(rss_bytes()));
            next_report += 1'000'000;
        }
    }
    while (confirmed.load() < opt.messages) {
        std::this_thread::sleep_for(1ms);
    }
    const double publish_s = seconds_since(publish_began);
    std::this_thread::sleep_for(1s); // let group commits and index saves settle
    const auto rss_backlog = rss_bytes();
    auto info = call<sdk::result<sdk::queue_info>>(k, [qs](sdk::kernel& k, auto done) {
        auto spec = qs;
        spec.passive = true;
        k.declare_queue(spec, std::move(done));
    });

    // Drain with one auto-ack consumer on the other shard.
    counting_sink sink;
    auto& consumer_k = b.facade(1);
    sdk::subscribe_request sr;
    sr.queue = "backlog";
    sr.consumer_tag = "drain";
    sr.auto_ack = true;
    sr.prefetch = 2000;
    const auto drain_began = bench_clock::now();
    auto sub = call<sdk::result<std::unique_ptr<sdk::subscription>>>(
      consumer_k, [sr, &sink](sdk::kernel& k, auto done) { k.subscribe(sr, sink, std::move(done)); });
    if (!sub) {
        fmt::print(stderr, "backlog_bench: cannot subscribe: {}\n", sub.error().to_string());
        return 1;
    }
    std::uint64_t peak_drain_rss = 0;
    while (sink.delivered.load() < opt.messages) {
        std::this_thread::sleep_for(50ms);
        peak_drain_rss = std::max(peak_drain_rss, rss_bytes());
    }
    const double drain_s = seconds_since(drain_began);
    // The subscription is destroyed on its own shard, as a gateway would.
    consumer_k.shard().post(
      [s = std::make_shared<std::unique_ptr<sdk::subscription>>(std::move(*sub))] { s->reset(); });
    std::this_thread::sleep_for(100ms);
    b.stop(5s);
    std::filesystem::remove_all(opt.dir);

    fmt::print("result engine={} messages={} failed={} stored_messages={} publish_msg_per_s={:.0f} "
               "rss_empty_mib={:.1f} rss_with_backlog_mib={:.1f} drain_msg_per_s={:.0f} peak_rss_draining_mib={:.1f}\n",
               opt.engine,
               opt.messages,
               failed.load(),
               info ? info->messages : 0,
               static_cast<double>(opt.messages) / publish_s,
               mib(rss_empty),
               mib(rss_backlog),
               static_cast<double>(opt.messages) / drain_s,
               mib(peak_drain_rss));
    return failed.load() == 0 && info && info->messages == opt.messages ? 0 : 1;
}
