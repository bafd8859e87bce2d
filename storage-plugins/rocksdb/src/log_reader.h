// Blocking reads of one log's keys. read_records() and find_offset_for_timestamp() run on the
// blocking pool; recover_log(), find_batch() and find_dropped_batches() run inline (at open_log
// and truncate_prefix, which the SDK makes synchronous; they touch a handful of keys).
//
// A log's records are stored batches keyed by their first offset (batch_value.h); the batch
// holding offset o is the last key <= (id, o), unless o lies in a gap (append_at): then that
// batch ends before o and the records go on at the next key. Every function sees one
// consistent view (a RocksDB iterator pins its snapshot). Iterators start at `first_batch`, the
// key of the batch holding the log's start (or of the first after it) as the owner shard last
// knew it: below it lie only the tombstones of earlier truncations, which a seek must not wade
// through.
#pragma once

#include "batch_value.h"
#include "database.h"
#include "key_codec.h"

#include "plexus/sdk/message.h"
#include "plexus/sdk/result.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace plexus::storage::rocks {

/// Records [from, end) of log `id`, at least one, then as many as fit in `max_bytes`
/// (record_batch::size_bytes()), in the form they were stored in: messages, or encoded records
/// of one format, never both. An encoded stored batch holding `from` is returned whole (its base
/// may lie below `from`), joined with the encoded batches of its format that follow while they
/// fit. From a gap the records begin at the next stored batch; a returned batch is dense, so it
/// ends before the next gap. not_found when `from` is no longer stored (truncated meanwhile);
/// corruption on a batch missing from the middle or an undecodable value. Bodies share one
/// buffer per read; encoded bytes one per stored batch.
sdk::result<sdk::record_batch> read_records(database& db,
                                            log_id id,
                                            sdk::offset first_batch,
                                            sdk::offset from,
                                            sdk::offset end,
                                            std::size_t max_bytes) noexcept;

/// The first offset in [start, end) whose record timestamp is >= ts, or `end`. The time index
/// gives the batch to scan from (see rocksdb_log.h); batches whose maximum timestamp is below
/// ts are skipped on their header, and only the records of the one that answers are read. An
/// encoded batch answers with its first offset (or `start`, when it straddles it).
sdk::result<sdk::offset> find_offset_for_timestamp(database& db,
                                                   log_id id,
                                                   sdk::offset first_batch,
                                                   sdk::offset start,
                                                   sdk::offset end,
                                                   sdk::timestamp_ms ts) noexcept;

/// Where offset `o` lies: its batch's first offset and header, and the log's cumulative size
/// before `o`.
struct batch_position
{
    sdk::offset first{ 0 };
    batch_header header;
    std::uint64_t bytes_before = 0; ///< the log's cumulative size_bytes() before `o`
};

/// The batch of log `id` holding offset `o`, or, when `o` lies in a gap, the first batch after
/// it (whose first offset is then above `o`), searched from the batch key `first_batch` on;
/// nullopt when no stored batch holds `o` or any offset after it.
sdk::result<std::optional<batch_position>> find_batch(database& db,
                                                      log_id id,
                                                      sdk::offset first_batch,
                                                      sdk::offset o) noexcept;

/// The keys (first offsets) of the batches in [from, to); at most `limit`, nullopt when there
/// are more (the caller then drops them with one range tombstone instead).
sdk::result<std::optional<std::vector<sdk::offset>>> find_batch_keys(database& db,
                                                                     log_id id,
                                                                     sdk::offset from,
                                                                     sdk::offset to,
                                                                     std::size_t limit) noexcept;

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
    /// The key of the batch holding `start`, or of the first one after it when `start` lies in
    /// a gap (== start when the log is empty).
    sdk::offset first_batch{ 0 };
    std::uint64_t begin_bytes = 0; ///< cumulative size before `start`
    std::uint64_t end_bytes = 0;   ///< cumulative size before `next`
    /// Running maximum timestamp: the last index entry's, raised by the batches after it.
    std::optional<sdk::timestamp_ms> max_timestamp;
    /// Record bytes appended since the last index entry.
    std::uint64_t bytes_since_index = 0;
    /// The smallest live index key (a seek hint for truncate_prefix's index cleanup).
    std::optional<sdk::timestamp_ms> index_floor;
};

/// Finds `next` (from the last batch), the byte counts and the time-index state of a log
/// that begins at `start` (its log_meta's: the first stored record is at or after it).
sdk::result<recovered_log> recover_log(database& db, log_id id, sdk::offset start) noexcept;

} // namespace plexus::storage::rocks
