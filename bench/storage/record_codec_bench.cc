// The stored-record codec on its own: what encoding and decoding a batch of 1000 100-byte
// records costs, the hot path of every durable append and read. A fixed iteration count, so
// `valgrind --tool=callgrind` instruction totals compare one build with another.
#include "record_codec.h"

#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

using namespace plexus;

namespace {

constexpr int records_per_batch = 1000;

std::vector<sdk::message_ptr> batch_of_small_records()
{
    std::vector<sdk::message_ptr> out;
    for (int i = 0; i < records_per_batch; ++i) {
        auto m = std::make_shared<sdk::message>();
        m->exchange = "orders";
        m->routing_key = "orders.eu";
        m->timestamp = sdk::timestamp_ms(1764590000000 + i);
        m->body = sdk::buffer_chain::copy_of(std::string(100, static_cast<char>('a' + i % 26)));
        out.push_back(std::move(m));
    }
    return out;
}

void encode(benchmark::State& state)
{
    const auto batch = batch_of_small_records();
    std::string out;
    for (auto _ : state) {
        out.clear();
        for (const auto& m : batch) {
            storage::encode_record(*m, out);
        }
        benchmark::DoNotOptimize(out.data());
    }
    state.SetItemsProcessed(state.iterations() * records_per_batch);
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(out.size()));
}

void decode(benchmark::State& state)
{
    std::string encoded;
    for (const auto& m : batch_of_small_records()) {
        storage::encode_record(*m, encoded);
    }
    const auto slab = sdk::bytes::copy_of(encoded);
    std::vector<sdk::message_ptr> out;
    for (auto _ : state) {
        out.clear();
        if (!storage::decode_records(slab, 0, slab.size(), records_per_batch, out).ok()) {
            state.SkipWithError("decode failed");
        }
        benchmark::DoNotOptimize(out.data());
    }
    state.SetItemsProcessed(state.iterations() * records_per_batch);
}

} // namespace

BENCHMARK(encode)->Iterations(2000);
BENCHMARK(decode)->Iterations(500);
BENCHMARK_MAIN();
