#include "rocksdb_options.h"

#include <rocksdb/cache.h>
#include <rocksdb/convenience.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>

#include <algorithm>
#include <string>

namespace plexus::storage::rocks {

namespace {

/// Memtable of the small column families (log_meta, time_index, metadata): their data is a
/// few bytes per log or definition.
constexpr std::size_t small_write_buffer_bytes = 4u << 20;
/// Records are read in runs, so larger blocks mean fewer index entries and better
/// compression at no cost to the access pattern.
constexpr std::size_t logs_block_bytes = 16u << 10;
constexpr double bloom_bits_per_key = 10.0;

rocksdb::CompressionType to_rocksdb(compression_codec c) noexcept
{
    switch (c) {
        case compression_codec::none:
            return rocksdb::kNoCompression;
        case compression_codec::lz4:
            return rocksdb::kLZ4Compression;
        case compression_codec::zstd:
            return rocksdb::kZSTD;
        case compression_codec::snappy:
            return rocksdb::kSnappyCompression;
    }
    return rocksdb::kNoCompression;
}

rocksdb::BlockBasedTableOptions table_options(const std::shared_ptr<rocksdb::Cache>& cache)
{
    rocksdb::BlockBasedTableOptions t;
    t.block_cache = cache;
    t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(bloom_bits_per_key));
    // Index and filter blocks live in the block cache, so block_cache_bytes bounds the
    // engine's read memory however many files there are; L0's stay pinned because every
    // read consults them.
    t.cache_index_and_filter_blocks = true;
    t.pin_l0_filter_and_index_blocks_in_cache = true;
    return t;
}

rocksdb::ColumnFamilyOptions common_family_options(const engine_config& config)
{
    rocksdb::ColumnFamilyOptions cf;
    cf.compression = to_rocksdb(config.compression);
    // Memtable flushes (L0) and the base level L0 merges into stay uncompressed; the levels
    // below, where records that outlive their consumers end up, use the configured codec.
    // Flushing is the append path's bottleneck, and compressing what does not compress
    // (producers' compressed Kafka batches, encrypted or binary bodies) took a third of it.
    // Against every level compressed, 1 GiB of random 100-byte bodies goes in 1.4x faster and
    // of repeated ones 0.92x as fast (bench/storage/README.md).
    cf.compression_per_level.assign(static_cast<std::size_t>(cf.num_levels), cf.compression);
    cf.compression_per_level[0] = rocksdb::kNoCompression;
    cf.compression_per_level[1] = rocksdb::kNoCompression;
    // Level sizes follow the data actually in the last level: bounded space amplification
    // whatever the total size (RocksDB's recommended setting).
    cf.level_compaction_dynamic_level_bytes = true;
    return cf;
}

} // namespace

sdk::result<database_options> make_database_options(const engine_config& config) noexcept
{
    try {
        if (config.compression != compression_codec::none) {
            auto supported = rocksdb::GetSupportedCompressions();
            if (std::find(supported.begin(), supported.end(), to_rocksdb(config.compression)) == supported.end()) {
                return sdk::status(sdk::errc::invalid_argument,
                                   "rocksdb engine config key 'compression': " +
                                     std::string(to_string(config.compression)) + " is not built into this librocksdb");
            }
        }
        database_options out;
        auto& db = out.db;
        db.create_if_missing = true;
        db.create_missing_column_families = true;
        db.max_background_jobs = static_cast<int>(config.max_background_jobs);
        // Appends write the WAL to the page cache at once (readable, not yet durable); the
        // engine syncs it itself (group_commit), never RocksDB on its own.
        db.manual_wal_flush = false;
        // A torn tail after a crash is dropped; everything before it (all that a flush
        // confirmed) is recovered.
        db.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
        // A WAL file is deleted only once every column family with data in it flushed; the
        // small families rarely fill their memtables, so cap the WAL and let RocksDB flush
        // them: bounded disk use and replay time.
        db.max_total_wal_size = 4 * config.write_buffer_bytes;
        // Write SST files back in 1 MiB steps instead of one burst at their final fsync.
        db.bytes_per_sync = 1u << 20;
        // Deleting obsolete files happens in RocksDB's background threads, not in whichever
        // thread released the last reference (often a shard).
        db.avoid_unnecessary_blocking_io = true;
        // RocksDB's own LOG files in the data directory: keep a bounded history.
        db.keep_log_file_num = 10;
        db.max_log_file_size = 16u << 20;

        auto cache = rocksdb::NewLRUCache(static_cast<std::size_t>(config.block_cache_bytes));

        rocksdb::ColumnFamilyOptions logs = common_family_options(config);
        logs.write_buffer_size = static_cast<std::size_t>(config.write_buffer_bytes);
        // One memtable filling while up to two flush: appends do not stall behind a flush.
        logs.max_write_buffer_number = 3;
        // The first 8 key bytes are the log id. A prefix bloom filter lets a read of one log
        // skip every file holding none of its records (L0 files overlap every log).
        logs.prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(8));
        auto logs_table = table_options(cache);
        logs_table.block_size = logs_block_bytes;
        logs_table.whole_key_filtering = false; // records are found by seeking, not by key
        logs.table_factory.reset(rocksdb::NewBlockBasedTableFactory(logs_table));

        rocksdb::ColumnFamilyOptions small = common_family_options(config);
        small.write_buffer_size = small_write_buffer_bytes;
        small.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table_options(cache)));

        out.families.emplace_back(rocksdb::kDefaultColumnFamilyName, small);
        out.families.emplace_back(logs_cf, logs);
        out.families.emplace_back(log_meta_cf, small);
        out.families.emplace_back(time_index_cf, small);
        out.families.emplace_back(metadata_cf, small);
        return out;
    } catch (...) {
        return sdk::status(sdk::errc::resource_exhausted, "out of memory preparing the rocksdb options");
    }
}

} // namespace plexus::storage::rocks
