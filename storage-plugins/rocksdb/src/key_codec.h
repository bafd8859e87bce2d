// How the engine lays out its keys and small values in RocksDB (storage formats 2 to 4, ADR
// 0009, 0019 and 0020).
//
//   default     "plexus.storage_format" → the database's storage format ("2" or "3")
//   logs        (id, first offset)      → a stored batch of messages or encoded records (batch_value.h)
//   time_index  (id, running max ts)    → offset after the batch that was indexed
//   log_meta    log name                → (id, start offset)
//   metadata    the kv_store's own keys → its values
//
// A log is known by a numeric id (assigned at creation, kept in log_meta) rather than its name,
// so its keys are short and fixed-width. Ids, offsets and timestamps are written big-endian (a
// timestamp with its sign bit flipped) so that RocksDB's bytewise order is (log, offset) and
// (log, timestamp) order: a log's batches are one contiguous key range, iterated in offset order
// and dropped with one DeleteRange. The batch holding offset o is the last key <= (id, o), unless
// o lies in a gap (format 4): then that batch ends before o and the next one holds what follows.
#pragma once

#include "plexus/sdk/strong_types.h"

#include <rocksdb/slice.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace plexus::storage::rocks {

/// The layouts this engine reads and writes. Format 2 (ADR 0009): stored batches of messages.
/// Format 3 (ADR 0019): format 2 plus stored batches of encoded records. Format 4 (ADR 0020):
/// format 3 plus gaps, offsets between two stored batches (or between a log's start and its
/// first batch) that hold no record, which append_at() leaves; a build that reads format 3
/// takes a gap for a lost batch. A stored batch's first byte is the format of its kind; the
/// marker is the lowest format that reads the whole database, so a new database is marked 2
/// (which older builds still open) until its first encoded batch raises the marker to 3, or
/// its first gap to 4, in the same WriteBatch. Format 1 (one `logs` key per record) had no
/// marker; a database holding data without one, or with another number, is refused at open.
constexpr std::uint8_t storage_format_version = 2;
constexpr std::uint8_t storage_format_encoded = 3;
constexpr std::uint8_t storage_format_gaps = 4;
/// The `default` family's only key: the storage format, in decimal.
inline constexpr std::string_view storage_format_key = "plexus.storage_format";

/// A log's number inside the engine. 0 is never assigned.
using log_id = sdk::named_type<std::uint64_t, struct log_id_tag>;

/// A 16-byte key: a log id followed by a 64-bit position (an offset or a timestamp).
class fixed_key
{
  public:
    static constexpr std::size_t size = 16;

    /// The `logs` key of the stored batch of log `id` whose first record is `o`.
    static fixed_key batch(log_id id, sdk::offset o) noexcept;
    /// The `time_index` key of log `id` at running maximum timestamp `ts`.
    static fixed_key index(log_id id, sdk::timestamp_ms ts) noexcept;
    /// Below every key of `id` in `logs` and `time_index` (offset 0 and the smallest
    /// timestamp both encode as zero bytes).
    static fixed_key first_of(log_id id) noexcept;
    /// Above every key of `id`: the first key of the next id. Use as an exclusive bound.
    static fixed_key past(log_id id) noexcept { return first_of(id + 1); }

    rocksdb::Slice slice() const noexcept { return { _bytes, size }; }

  private:
    char _bytes[size];
};

/// The first offset in a `logs` key when the key belongs to `id`.
std::optional<sdk::offset> offset_of_batch_key(const rocksdb::Slice& key, log_id id) noexcept;
/// The timestamp in a `time_index` key when the key belongs to `id`.
std::optional<sdk::timestamp_ms> timestamp_of_index_key(const rocksdb::Slice& key, log_id id) noexcept;

/// A `time_index` value: the offset just after the indexed batch (the next batch's key).
std::string encode_index_value(sdk::offset after);
std::optional<sdk::offset> decode_index_value(const rocksdb::Slice& value) noexcept;

/// A log's `log_meta` entry. Its presence is what makes the log exist (an empty log has no
/// records but still lists and reopens).
struct log_meta
{
    log_id id;
    /// log_spec::first_offset when the log was created, then where truncate_prefix() cut: what
    /// gives an empty log its offsets after a restart, since no batch does.
    sdk::offset start{ 0 };
};

std::string encode_log_meta(const log_meta& m);
/// nullopt when the value is not a log_meta this version writes.
std::optional<log_meta> decode_log_meta(const rocksdb::Slice& value) noexcept;

} // namespace plexus::storage::rocks
