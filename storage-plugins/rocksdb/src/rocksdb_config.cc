#include "rocksdb_config.h"

#include "config_section.h"

#include <limits>
#include <string>

namespace plexus::storage::rocks {

namespace {

/// Below this a block cache or memtable is too small to be useful; refusing it catches a
/// value written in MiB where bytes were meant.
constexpr std::uint64_t min_buffer_bytes = 1ull << 20;
/// RocksDB's own upper bound for max_background_jobs is far above any useful value.
constexpr std::uint64_t max_background_jobs_limit = 256;

} // namespace

std::string_view to_string(fsync_policy p) noexcept
{
    switch (p) {
        case fsync_policy::always:
            return "always";
        case fsync_policy::batch:
            return "batch";
        case fsync_policy::none:
            return "none";
    }
    return "unknown";
}

std::string_view to_string(compression_codec c) noexcept
{
    switch (c) {
        case compression_codec::none:
            return "none";
        case compression_codec::lz4:
            return "lz4";
        case compression_codec::zstd:
            return "zstd";
        case compression_codec::snappy:
            return "snappy";
    }
    return "unknown";
}

sdk::result<engine_config> parse_config(std::string_view json) noexcept
{
    try {
        auto section = config_section::parse(json, "rocksdb engine config");
        if (!section) {
            return section.error();
        }
        engine_config config;

        auto fsync = section->one_of("fsync", { "always", "batch", "none" });
        if (!fsync) {
            return fsync.error();
        }
        if (*fsync) {
            config.fsync = **fsync == "always" ? fsync_policy::always
                           : **fsync == "none" ? fsync_policy::none
                                               : fsync_policy::batch;
        }

        auto cache = section->integer("block_cache_bytes", min_buffer_bytes);
        if (!cache) {
            return cache.error();
        }
        config.block_cache_bytes = cache->value_or(config.block_cache_bytes);

        auto write_buffer = section->integer("write_buffer_bytes", min_buffer_bytes);
        if (!write_buffer) {
            return write_buffer.error();
        }
        config.write_buffer_bytes = write_buffer->value_or(config.write_buffer_bytes);

        auto comp = section->one_of("compression", { "none", "lz4", "zstd", "snappy" });
        if (!comp) {
            return comp.error();
        }
        if (*comp) {
            config.compression = **comp == "none"     ? compression_codec::none
                                 : **comp == "zstd"   ? compression_codec::zstd
                                 : **comp == "snappy" ? compression_codec::snappy
                                                      : compression_codec::lz4;
        }

        auto jobs = section->integer("max_background_jobs");
        if (!jobs) {
            return jobs.error();
        }
        if (*jobs) {
            if (**jobs > max_background_jobs_limit) {
                return sdk::status(sdk::errc::invalid_argument,
                                   "rocksdb engine config key 'max_background_jobs': expected an integer from 1 to " +
                                     std::to_string(max_background_jobs_limit) + ", got " + std::to_string(**jobs));
            }
            config.max_background_jobs = static_cast<std::uint32_t>(**jobs);
        }

        auto interval = section->integer("time_index_interval_bytes");
        if (!interval) {
            return interval.error();
        }
        config.time_index_interval_bytes = interval->value_or(config.time_index_interval_bytes);

        if (auto st = section->finish(); !st.ok()) {
            return st;
        }
        return config;
    } catch (...) {
        return sdk::status(sdk::errc::internal, "rocksdb engine config could not be read");
    }
}

} // namespace plexus::storage::rocks
