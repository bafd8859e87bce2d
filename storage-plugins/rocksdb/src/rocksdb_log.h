// A log of the RocksDB engine: its records are stored batches, the `logs` keys (id, first
// offset) → batch value (batch_value.h), one per appended batch (a large one is cut into
// several): RocksDB's cost is per key, so a batch of a thousand small records costs about one
// memtable insert, not a thousand.
//
// append() writes one WriteBatch through the WAL without syncing it: the records are readable
// at once and become durable when a WAL sync covers them. flush() asks the engine's group
// commit for such a sync (one per log at a time; the engine shares each sync between every
// log and the metadata store), and completes on the owner shard. Reads and timestamp searches
// run on the blocking pool and complete on the owner shard; a request that needs no I/O (below
// start, at the end, nothing to sync) completes inline, as the SDK allows.
//
// truncate_prefix() drops the batches wholly below the new start and keeps the one that
// straddles it; `start` is still exact (log_meta keeps it), and reads skip the records below it.
//
// offset_for_timestamp() uses a sparse time index: after a stored batch that ends at least
// `time_index_interval_bytes` of records after the previous entry, an entry (running maximum
// timestamp → offset after the batch). Every record before the offset of the last entry whose
// maximum is below ts is older than ts, so the search reads one index key and then the batches
// from there, skipping those whose maximum timestamp is below ts on their header: about one
// interval when timestamps grow, as producers' clocks do. truncate_prefix() drops the entries
// it makes useless.
//
// An encoded batch (sdk::encoded_records, ADR 0019) is one stored batch, never cut, holding its
// bytes with the offset slots set; its max_timestamp stands for its records' in the time index.
//
// append_at() is append() at an explicit base at or above next (ADR 0020: how a compaction
// copies survivors with their offsets). The offsets it skips are a gap: no key covers them, so
// the batch before a gap ends below the next key. Reads from a gap start at the next batch, and
// never join batches across one; a truncation into one keeps the cut as start. A gap leaves the
// byte counts whole (the batch after it begins at the cumulative size the one before ends at),
// which tells it from a batch lost from the middle. The first gap raises the storage format to
// 4 (key_codec.h).
//
// Threading: a log_core belongs to its owner shard and never locks. Pool jobs copy what they
// need; completions hold the core by shared_ptr, so a handle may close while they run.
#pragma once

#include "batch_value.h"
#include "database.h"
#include "forwarding_log.h"
#include "key_codec.h"
#include "rocksdb_config.h"

#include "plexus/sdk/storage.h"

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace plexus::storage::rocks {

/// The engine's record of one log; the open flag makes a second handle fail with `locked`.
struct log_slot
{
    explicit log_slot(log_id i) noexcept
      : id(i)
    {
    }
    const log_id id;
    std::atomic<bool> open{ false };

    /// False when a handle is open already.
    bool try_open() noexcept { return !open.exchange(true, std::memory_order_acq_rel); }
    void close() noexcept { open.store(false, std::memory_order_release); }
};

class log_core : public std::enable_shared_from_this<log_core>
{
  public:
    log_core(std::shared_ptr<database> db, std::string name, log_id id, sdk::executor& owner) noexcept;

    /// Loads next, the byte counts and the time-index state from the log's batches.
    sdk::status recover(sdk::offset start) noexcept;

    sdk::result<sdk::offset_range> append(const sdk::record_batch& batch) noexcept
    {
        return store(batch, std::nullopt);
    }
    /// As append(), at batch.base_offset (>= next, else invalid_argument).
    sdk::result<sdk::offset_range> append_at(const sdk::record_batch& batch) noexcept
    {
        return store(batch, batch.base_offset);
    }
    void flush(sdk::callback<void(sdk::result<sdk::offset>)> done) noexcept;
    void read(sdk::offset from,
              std::size_t max_bytes,
              sdk::callback<void(sdk::result<sdk::record_batch>)> done) noexcept;
    void offset_for_timestamp(sdk::timestamp_ms ts, sdk::callback<void(sdk::result<sdk::offset>)> done) noexcept;
    sdk::status truncate_prefix(sdk::offset new_start) noexcept;
    sdk::log_offsets offsets() const noexcept { return { _start, _next, _committed }; }
    std::uint64_t size_bytes() const noexcept { return _end_bytes - _begin_bytes; }

  private:
    using flush_done = sdk::callback<void(sdk::result<sdk::offset>)>;
    struct flush_waiter
    {
        std::uint64_t write_seq; ///< the writes it waits for: those numbered up to this
        flush_done done;
    };

    /// What an append stages before RocksDB takes it: the log's state once it has.
    struct staged_append
    {
        sdk::offset next;
        std::uint64_t since_index;
        std::optional<sdk::timestamp_ms> max_timestamp;
        std::optional<sdk::timestamp_ms> index_floor;
    };
    /// What append() and append_at() share: stores `batch` at `at`, or at next when none.
    sdk::result<sdk::offset_range> store(const sdk::record_batch& batch, std::optional<sdk::offset> at) noexcept;
    /// invalid_argument for a batch this log cannot store (null messages, a bad encoded batch)
    /// at `base`: below next, or with offsets past the largest.
    sdk::status check_appendable(const sdk::record_batch& batch, sdk::offset base) const noexcept;
    /// Stages the encoder's stored batch at staged.next, and a time-index entry when one is due.
    sdk::status stage_encoder(rocksdb::WriteBatch& wb, staged_append& staged);
    /// Starts a sync now (`always`), or posts its start behind the shard's queued tasks (`batch`).
    void schedule_sync() noexcept;
    void start_sync() noexcept;
    void on_synced(const sdk::status& st) noexcept;

    std::shared_ptr<database> _db;
    std::string _name;
    log_id _id;
    sdk::executor* _owner;

    sdk::offset _start{ 0 };
    /// The key of the batch holding _start, or of the first batch after it when _start lies
    /// in a gap (== _start when the log is empty): below it are only tombstones, so every
    /// iterator of the log starts here.
    sdk::offset _first_batch{ 0 };
    /// _start for pool jobs: a read that finishes after a truncation past its offset answers
    /// not_found, as it would have after the truncation (the batch holding it may be kept).
    std::atomic<std::int64_t> _visible_start{ 0 };
    sdk::offset _next{ 0 };
    sdk::offset _committed{ 0 };
    std::uint64_t _begin_bytes = 0; ///< cumulative size_bytes() before _start
    std::uint64_t _end_bytes = 0;   ///< cumulative size_bytes() before _next

    // Time index (see above).
    std::optional<sdk::timestamp_ms> _max_timestamp;
    std::uint64_t _bytes_since_index = 0;
    std::optional<sdk::timestamp_ms> _index_floor; ///< no live entry below it

    // Durability. Every successful write (append, truncate) takes the next number; a sync
    // covers the writes numbered up to what it captured when it started.
    std::uint64_t _write_seq = 0;
    std::uint64_t _durable_seq = 0;
    bool _sync_running = false;
    bool _sync_posted = false;     ///< a start is posted to the owner shard (`batch`)
    std::uint64_t _db_writes = 0;  ///< the database's write count after this log's last write
    std::uint64_t _sync_seq = 0;   ///< of the running sync
    sdk::offset _sync_target{ 0 }; ///< next when the running sync started
    std::vector<flush_waiter> _waiting;

    batch_encoder _encoder; ///< reused encode buffers
};

/// The sdk::log handle: forwards to the core and gives the slot back when it closes.
class rocksdb_log final : public forwarding_log<log_core>
{
  public:
    rocksdb_log(std::shared_ptr<log_core> core, std::shared_ptr<log_slot> slot) noexcept
      : forwarding_log(std::move(core))
      , _slot(std::move(slot))
    {
    }
    ~rocksdb_log() override { _slot->close(); }

  private:
    std::shared_ptr<log_slot> _slot;
};

} // namespace plexus::storage::rocks
