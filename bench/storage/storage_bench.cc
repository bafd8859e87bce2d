// Storage engine micro-benchmarks, through the plugin loader as the kernel uses an engine.
// $PLEXUS_STORAGE_ENGINE picks the engine (default memory), $PLEXUS_PLUGIN_DIR the directory.
//
//   append/<n>: appends batches of n records with 100-byte bodies (prebuilt, shared
//     message_ptrs; each batch's vector is a fresh copy of the prebuilt one, as a gateway
//     would build it). Every million records the log is truncated to its end (retention), so
//     memory stays bounded; that work is timed too. items/s = records appended per second.
//   read/<max_bytes>: sequential reads over a log of a million records. items/s = records read.
//   offset_for_timestamp: look-ups in a log of 100k distinct records with rising timestamps.
#include "kernel/src/plugin/loader.h"
#include "plexus/sdk/plugin.h"

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

using namespace plexus;

namespace {

std::string env_or(const char* name, const char* fallback)
{
    const char* v = std::getenv(name);
    return v != nullptr && *v != '\0' ? std::string(v) : std::string(fallback);
}

/// The engine under test, loaded once per benchmark run. Libraries stay mapped until exit.
struct bench_engine
{
    kernel::loaded_plugin plugin;
    std::unique_ptr<sdk::storage_engine> engine;
    std::string error;

    bench_engine()
    {
        auto loaded = kernel::load_plugin({ env_or("PLEXUS_PLUGIN_DIR", PLEXUS_PLUGIN_DIR) },
                                          PLEXUS_KIND_STORAGE,
                                          env_or("PLEXUS_STORAGE_ENGINE", "memory"));
        if (!loaded) {
            error = loaded.error().to_string();
            return;
        }
        plugin = *loaded;
        auto* factory = static_cast<sdk::storage_factory*>(plugin.factory);
        sdk::storage_context ctx;
        ctx.data_dir = "."; // the memory engine writes nothing
        auto created = factory->create(ctx, "{}");
        if (!created) {
            error = created.error().to_string();
            return;
        }
        engine = std::move(*created);
    }
    ~bench_engine()
    {
        if (engine) {
            engine->close().ignore();
            engine.reset();
        }
        if (plugin.factory != nullptr) {
            plugin.descriptor->destroy_factory(plugin.factory);
        }
    }

    std::unique_ptr<sdk::log> open(const std::string& name)
    {
        auto r = engine->open_log(sdk::log_spec{ name, nullptr });
        return r ? std::move(*r) : nullptr;
    }
};

std::vector<sdk::message_ptr> hundred_byte_records(std::size_t n, std::int64_t first_ts = 0)
{
    std::vector<sdk::message_ptr> out;
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        auto m = std::make_shared<sdk::message>();
        m->body = sdk::buffer_chain::copy_of(std::string(100, static_cast<char>('a' + i % 26)));
        m->timestamp = sdk::timestamp_ms(first_ts + static_cast<std::int64_t>(i));
        out.push_back(std::move(m));
    }
    return out;
}

void append(benchmark::State& state)
{
    bench_engine b;
    if (!b.engine) {
        state.SkipWithError(b.error.c_str());
        return;
    }
    auto log = b.open("s/bench/append/0");
    const auto batch_size = static_cast<std::size_t>(state.range(0));
    const auto prebuilt = hundred_byte_records(batch_size);
    constexpr std::int64_t retain_records = 1'000'000;
    std::int64_t appended = 0;
    std::int64_t since_trim = 0;
    for (auto _ : state) {
        sdk::record_batch batch;
        batch.records = prebuilt;
        auto r = log->append(std::move(batch));
        if (!r) {
            state.SkipWithError(r.error().to_string().c_str());
            break;
        }
        appended += r->count();
        since_trim += r->count();
        if (since_trim >= retain_records) {
            (void)log->truncate_prefix(log->offsets().next);
            since_trim = 0;
        }
    }
    state.SetItemsProcessed(appended);
    state.SetBytesProcessed(appended * 100);
}
BENCHMARK(append)->Arg(1)->Arg(10)->Arg(100)->Arg(1000)->MinTime(1.0);

void read(benchmark::State& state)
{
    bench_engine b;
    if (!b.engine) {
        state.SkipWithError(b.error.c_str());
        return;
    }
    auto log = b.open("s/bench/read/0");
    const auto prebuilt = hundred_byte_records(100);
    for (int i = 0; i < 10'000; ++i) {
        sdk::record_batch batch;
        batch.records = prebuilt;
        (void)log->append(std::move(batch));
    }
    const auto max_bytes = static_cast<std::size_t>(state.range(0));
    const auto end = log->offsets().next;
    sdk::offset from{ 0 };
    std::int64_t read_records = 0;
    for (auto _ : state) {
        log->read(from, max_bytes, [&](sdk::result<sdk::record_batch> r) {
            if (r && !r->empty()) {
                read_records += static_cast<std::int64_t>(r->size());
                from = r->last_offset() + 1;
                benchmark::DoNotOptimize(r->records.data());
            }
        });
        if (from >= end) {
            from = sdk::offset{ 0 };
        }
    }
    state.SetItemsProcessed(read_records);
}
BENCHMARK(read)->Arg(16 * 1024)->Arg(1024 * 1024)->MinTime(1.0);

void offset_for_timestamp(benchmark::State& state)
{
    bench_engine b;
    if (!b.engine) {
        state.SkipWithError(b.error.c_str());
        return;
    }
    auto log = b.open("s/bench/time/0");
    for (int i = 0; i < 1'000; ++i) {
        sdk::record_batch batch;
        batch.records = hundred_byte_records(100, i * 100);
        (void)log->append(std::move(batch));
    }
    std::int64_t ts = 0;
    std::int64_t found = 0;
    for (auto _ : state) {
        log->offset_for_timestamp(sdk::timestamp_ms(ts), [&](sdk::result<sdk::offset> r) { found += r ? 1 : 0; });
        ts = (ts + 7919) % 100'000;
    }
    state.SetItemsProcessed(found);
}
BENCHMARK(offset_for_timestamp)->MinTime(0.5);

} // namespace

BENCHMARK_MAIN();
