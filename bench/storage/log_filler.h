// Writes the logs that the recovery scenario reopens: batches of 1000 100-byte records until
// the log stores `bytes`, as fast as one shard can, with the completions it posts run between
// batches. Used in process (clean stop) and by the child that is killed (recovery-writer).
#pragma once

#include "bench/storage/scenario.h"
#include "bench/storage/shard_loop.h"
#include "plexus/sdk/storage.h"

#include <cstdint>
#include <filesystem>
#include <string>

namespace plexus::bench {

inline constexpr const char* recovery_log_name = "s/bench/recovery/0";

/// Appends until `log.size_bytes() >= bytes`.
sdk::status fill_log(sdk::log& log, shard_loop& shard, std::uint64_t bytes);

/// The child of a kill -9 measurement: opens `engine` over `data_dir` (fsync none), fills the
/// recovery log to `bytes`, writes "ready <next offset>\n" to stdout, then appends forever,
/// so that the kill lands in the middle of writes. Returns only on failure.
int run_recovery_writer(const scenario_context& ctx,
                        const std::string& engine,
                        const std::filesystem::path& data_dir,
                        std::uint64_t bytes);

} // namespace plexus::bench
