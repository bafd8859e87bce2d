// Kernel data-path micro-benchmarks (not part of ctest): a real broker on one shard with the
// memory engine, driven through the kernel facade as a protocol plugin would drive it.
//
//   route_enqueue_deliver: publish 100-byte messages to a direct exchange bound to one queue
//     whose auto-ack consumer counts them; items/s = messages delivered per second.
//   stream_append: append batches of 100 records of 100 bytes to a stream partition.
#include "kernel/src/server/broker.h"

#include <benchmark/benchmark.h>

#include <atomic>
#include <future>

using namespace plexus;

namespace {

struct bench_broker
{
    kernel::broker_config config;
    kernel::log_registry logs{ "warn" };
    std::unique_ptr<kernel::plugin_registry> plugins;
    std::unique_ptr<kernel::broker> broker;

    bench_broker()
    {
        config.shards = 1;
        config.admin_enabled = false;
        config.plugin_dirs = { PLEXUS_PLUGIN_DIR };
        config.storage_engines = { { "memory", "{}" } };
        config.routing_types = { { "direct", "{}" }, { "fanout", "{}" }, { "topic", "{}" }, { "headers", "{}" } };
        plugins = std::make_unique<kernel::plugin_registry>(config.plugin_dirs);
        if (!plugins->load_configured(config).ok()) {
            std::abort();
        }
        broker = std::move(*kernel::broker::create(config, *plugins, logs));
        if (!broker->start().ok()) {
            std::abort();
        }
    }
    ~bench_broker() { broker->stop(std::chrono::milliseconds(100)); }

    template<class T, class Call>
    T call(Call c)
    {
        auto p = std::make_shared<std::promise<T>>();
        auto f = p->get_future();
        auto& k = broker->facade(0);
        k.shard().post([&k, p, c = std::move(c)]() mutable { c(k, [p](T v) { p->set_value(std::move(v)); }); });
        return f.get();
    }
};

struct counting_sink final : sdk::delivery_sink
{
    std::atomic<std::uint64_t> delivered{ 0 };
    void deliver(std::vector<sdk::delivery> batch) noexcept override
    {
        delivered.fetch_add(batch.size(), std::memory_order_relaxed);
    }
    void cancelled(const sdk::status&) noexcept override {}
};

sdk::message_ptr hundred_byte_message(std::string exchange, std::string key)
{
    auto m = std::make_shared<sdk::message>();
    m->exchange = std::move(exchange);
    m->routing_key = std::move(key);
    m->body = sdk::buffer_chain::copy_of(std::string(100, 'x'));
    return m;
}

void route_enqueue_deliver(benchmark::State& state)
{
    bench_broker b;
    using namespace std::chrono_literals;
    sdk::queue_spec qs;
    qs.name = "bench";
    if (!b.call<sdk::result<sdk::queue_info>>(
          [qs](sdk::kernel& k, auto done) { k.declare_queue(qs, std::move(done)); })) {
        state.SkipWithError("declare failed");
        return;
    }
    sdk::binding_spec bs;
    bs.exchange = "amq.direct";
    bs.destination = "bench";
    bs.key = "bench-key";
    (void)b.call<sdk::status>([bs](sdk::kernel& k, auto done) { k.bind(bs, std::move(done)); });
    counting_sink sink;
    sdk::subscribe_request req;
    req.queue = "bench";
    req.auto_ack = true;
    auto sub = b.call<sdk::result<std::unique_ptr<sdk::subscription>>>(
      [req, &sink](sdk::kernel& k, auto done) { k.subscribe(req, sink, std::move(done)); });
    auto msg = hundred_byte_message("amq.direct", "bench-key");
    constexpr int per_task = 1000;
    std::uint64_t sent = 0;
    auto& k = b.broker->facade(0);
    for (auto _ : state) {
        // One posted task publishes a burst, as one socket read of a gateway would.
        k.shard().post([&k, msg] {
            for (int i = 0; i < per_task; ++i) {
                k.publish(sdk::publish_request{ "/", msg, sdk::ack_level::none }, nullptr);
            }
        });
        sent += per_task;
        while (sent - sink.delivered.load(std::memory_order_relaxed) > 20 * per_task) {
            std::this_thread::yield(); // keep a bounded backlog so we measure throughput, not RAM
        }
    }
    while (sink.delivered.load() < sent) {
        std::this_thread::yield();
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(sent));
    auto p = std::make_shared<std::promise<void>>();
    auto* raw = sub->release();
    k.shard().post([raw, p] {
        delete raw;
        p->set_value();
    });
    p->get_future().wait();
}
BENCHMARK(route_enqueue_deliver)->UseRealTime()->MinTime(2.0);

void stream_append(benchmark::State& state)
{
    bench_broker b;
    sdk::stream_spec ss;
    ss.name = "bench-stream";
    (void)b.call<sdk::result<sdk::stream_info>>(
      [ss](sdk::kernel& k, auto done) { k.declare_stream(ss, std::move(done)); });
    auto msg = hundred_byte_message("", "");
    std::vector<sdk::message_ptr> records(100, msg);
    auto& k = b.broker->facade(0);
    std::atomic<std::uint64_t> appended{ 0 };
    std::uint64_t sent = 0;
    constexpr int batches_per_task = 100;
    for (auto _ : state) {
        k.shard().post([&k, &records, &appended] {
            for (int i = 0; i < batches_per_task; ++i) {
                sdk::record_batch batch;
                batch.records = records;
                k.append("/",
                         "bench-stream",
                         sdk::partition_id(0),
                         std::move(batch),
                         sdk::ack_level::none,
                         [&appended](sdk::result<sdk::offset_range> r) {
                             appended.fetch_add(r ? r->count() : 0, std::memory_order_relaxed);
                         });
            }
        });
        sent += 100 * batches_per_task;
        while (sent - appended.load(std::memory_order_relaxed) > 200000) {
            std::this_thread::yield();
        }
    }
    while (appended.load() < sent) {
        std::this_thread::yield();
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(sent));
}
BENCHMARK(stream_append)->UseRealTime()->MinTime(2.0);

} // namespace

BENCHMARK_MAIN();
