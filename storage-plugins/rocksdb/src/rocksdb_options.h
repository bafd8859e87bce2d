// The RocksDB options the engine opens its database with, derived from the config section.
// The plugin's README explains each choice; the reasons are repeated here where they are set.
#pragma once

#include "rocksdb_config.h"

#include "plexus/sdk/result.h"

#include <rocksdb/db.h>
#include <rocksdb/options.h>

#include <string>
#include <vector>

namespace plexus::storage::rocks {

/// Column family names. `default` exists in every RocksDB database; it holds only the storage
/// format marker (key_codec.h).
inline constexpr const char* logs_cf = "logs";
inline constexpr const char* log_meta_cf = "log_meta";
inline constexpr const char* time_index_cf = "time_index";
inline constexpr const char* metadata_cf = "metadata";

struct database_options
{
    rocksdb::DBOptions db;
    /// Every column family in the order the database opens them: default, logs, log_meta,
    /// time_index, metadata.
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
};

/// invalid_argument when the configured compression is not built into this librocksdb.
sdk::result<database_options> make_database_options(const engine_config& config) noexcept;

} // namespace plexus::storage::rocks
