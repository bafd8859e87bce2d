// Router micro-benchmarks (not in ctest): routers loaded through the plugin loader, as the
// kernel uses them. items/s = routed keys per second on one thread.
//   topic_10k_bindings: 10 000 bindings of three shapes, keys that match one or two of them.
//   direct_1k_bindings: 1 000 distinct keys.
#include "kernel/src/plugin/loader.h"
#include "plexus/sdk/plugin.h"

#include <benchmark/benchmark.h>

#include <random>

using namespace plexus;

namespace {

std::unique_ptr<sdk::router> make(const char* name)
{
    auto p = kernel::load_plugin({ PLEXUS_PLUGIN_DIR }, PLEXUS_KIND_ROUTING, name);
    if (!p) {
        std::abort();
    }
    return std::move(*static_cast<sdk::router_factory*>(p->factory)->create(sdk::router_spec{}));
}

void topic_10k_bindings(benchmark::State& state)
{
    auto r = make("topic");
    for (int i = 0; i < 10000; ++i) {
        std::string key;
        switch (i % 3) {
            case 0:
                key = "sensor." + std::to_string(i) + ".*.temp";
                break;
            case 1:
                key = "region." + std::to_string(i % 100) + ".#";
                break;
            default:
                key = "a." + std::to_string(i) + ".b";
                break;
        }
        (void)r->bind(sdk::binding{ key, sdk::destination_id(static_cast<std::uint64_t>(i)), {} });
    }
    std::vector<std::string> keys;
    std::mt19937 rng(42);
    for (int i = 0; i < 1024; ++i) {
        int n = static_cast<int>(rng() % 10000);
        keys.push_back(i % 2 ? "sensor." + std::to_string(n) + ".kitchen.temp"
                             : "region." + std::to_string(n % 100) + ".eu.west");
    }
    sdk::destination_set out;
    sdk::headers none;
    std::size_t i = 0;
    for (auto _ : state) {
        out.clear();
        r->route(keys[i++ & 1023], none, out);
        benchmark::DoNotOptimize(out.size());
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(topic_10k_bindings);

void direct_1k_bindings(benchmark::State& state)
{
    auto r = make("direct");
    std::vector<std::string> keys;
    for (int i = 0; i < 1000; ++i) {
        keys.push_back("queue-" + std::to_string(i));
        (void)r->bind(sdk::binding{ keys.back(), sdk::destination_id(static_cast<std::uint64_t>(i)), {} });
    }
    sdk::destination_set out;
    sdk::headers none;
    std::size_t i = 0;
    for (auto _ : state) {
        out.clear();
        r->route(keys[i++ % 1000], none, out);
        benchmark::DoNotOptimize(out.size());
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(direct_1k_bindings);

} // namespace

BENCHMARK_MAIN();
