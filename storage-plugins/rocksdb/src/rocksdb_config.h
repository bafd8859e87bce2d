// The RocksDB engine's config section (storage.engines.rocksdb in plexus.yaml). Every key is
// optional; the plugin's README lists them with their defaults and why those were chosen.
#pragma once

#include "plexus/sdk/result.h"

#include <cstdint>
#include <string_view>

namespace plexus::storage::rocks {

enum class fsync_policy
{
    always, ///< every append starts a WAL sync by itself; flush() waits for the one covering it
    batch,  ///< flush() requests start WAL syncs, grouped: one sync serves every request meanwhile
    none,   ///< the WAL is never synced while running (only at close); flush() completes at once
};

enum class compression_codec
{
    none,
    lz4,
    zstd,
    snappy,
};

struct engine_config
{
    fsync_policy fsync = fsync_policy::batch;
    /// One LRU block cache shared by every column family.
    std::uint64_t block_cache_bytes = 64ull << 20;
    /// Memtable size of the `logs` column family (the others are small and fixed).
    std::uint64_t write_buffer_bytes = 64ull << 20;
    compression_codec compression = compression_codec::lz4;
    /// RocksDB's flush + compaction threads.
    std::uint32_t max_background_jobs = 2;
    /// A time-index entry is written after at least this many record bytes
    /// (message::size_bytes()), which bounds the scan of offset_for_timestamp().
    std::uint64_t time_index_interval_bytes = 4096;
};

/// Parses and checks the section; invalid_argument naming the key on any problem.
sdk::result<engine_config> parse_config(std::string_view json) noexcept;

std::string_view to_string(fsync_policy p) noexcept;
std::string_view to_string(compression_codec c) noexcept;

} // namespace plexus::storage::rocks
