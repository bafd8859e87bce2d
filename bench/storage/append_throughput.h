// Scenario `append`: payload bandwidth of one log taking batches of 100-byte records as fast
// as one shard can hand them over, until `payload_bytes` of bodies are in, then made durable
// (flush, close of the log handle, close of the engine). The figure is body bytes per second
// over that whole time, MB/s (10^6), so it compares with dd's sequential write bandwidth.
#pragma once

#include "bench/storage/records.h"

#include "bench/storage/scenario.h"

#include <cstddef>
#include <cstdint>
#include <string>

namespace plexus::bench {

struct append_options
{
    std::string engine = "file";
    std::string fsync = "none";
    std::uint64_t payload_bytes = 1ull << 30;
    std::size_t batch_records = 1000;
    body_kind bodies = body_kind::repeated;
};

sdk::result<measurement> measure_append_throughput(const scenario_context& ctx, const append_options& options);

} // namespace plexus::bench
