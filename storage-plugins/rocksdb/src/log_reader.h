// Blocking reads of one log's keys. read_records() and find_offset_for_timestamp() run on the
// blocking pool; recover_log() and read_record_header() run inline (at open_log and
// truncate_prefix, which the SDK makes synchronous; they touch a handful of keys).
//
// Every function sees one consistent view (a RocksDB iterator pins its snapshot), so a
// truncate_prefix that runs on the owner shard meanwhile shows up as a missing first record.
#pragma once

#include "database.h"
#include "key_codec.h"
#include "record_value.h"

#include "plexus/sdk/message.h"
#include "plexus/sdk/result.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace plexus::storage::rocks {

/// Records [from, end) of log `id`, at least one, then as many as fit in `max_bytes`
/// (message::size_bytes()). not_found when `from` is no longer stored (truncated meanwhile);
/// corruption on a gap or an undecodable value. Bodies share one buffer per read.
sdk::result<sdk::record_batch> read_records(database& db,
                                            log_id id,
                                            sdk::offset from,
                                            sdk::offset end,
                                            std::size_t max_bytes) noexcept;

/// The first offset in [start, end) whose record timestamp is >= ts, or `end`. The time index
/// gives the point to scan from (see rocksdb_log.h); the scan reads only record headers.
sdk::result<sdk::offset> find_offset_for_timestamp(database& db,
                                                   log_id id,
                                                   sdk::offset start,
                                                   sdk::offset end,
                                                   sdk::timestamp_ms ts) noexcept;

/// The header of record `o` of log `id`; nullopt when it is not stored.
sdk::result<std::optional<record_header>> read_record_header(database& db, log_id id, sdk::offset o) noexcept;

/// Time-index entries that truncate_prefix() can drop.
struct dead_index_entries
{
    std::vector<sdk::timestamp_ms> keys; ///< entries whose offset is at or below the new start
    std::optional<sdk::timestamp_ms> first_live;
};

/// The time-index entries of `id`, from `floor` on, whose offset is at or below `new_start`:
/// they no longer narrow any search (the scan starts at the log's start anyway).
sdk::result<dead_index_entries> find_dead_index_entries(database& db,
                                                        log_id id,
                                                        std::optional<sdk::timestamp_ms> floor,
                                                        sdk::offset new_start) noexcept;

/// What a log's keys say about it when it is opened.
struct recovered_log
{
    sdk::offset next{ 0 };
    std::uint64_t begin_bytes = 0; ///< cumulative size before `start`
    std::uint64_t end_bytes = 0;   ///< cumulative size before `next`
    /// Running maximum timestamp: the last index entry's, raised by the records after it.
    std::optional<sdk::timestamp_ms> max_timestamp;
    /// Record bytes appended since the last index entry.
    std::uint64_t bytes_since_index = 0;
    /// The smallest live index key (a seek hint for truncate_prefix's index cleanup).
    std::optional<sdk::timestamp_ms> index_floor;
};

/// Finds `next` (from the last record), the byte counts and the time-index state of a log
/// whose first stored offset is `start`.
sdk::result<recovered_log> recover_log(database& db, log_id id, sdk::offset start) noexcept;

} // namespace plexus::storage::rocks
