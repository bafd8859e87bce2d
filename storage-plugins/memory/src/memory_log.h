// The memory engine's log: records kept as shared message_ptrs (bodies are never copied) in a
// deque of segments. An append of a large batch adopts the batch's vector as a new segment (a
// move of three pointers); small batches are packed into the tail segment's spare capacity, so
// appending never allocates per record. Prefix truncation pops whole segments and releases the
// records of a partly truncated front segment in place. An encoded batch (ADR 0019) is kept
// whole as a segment of its own, with its offset slots set, and read back whole.
//
// append_at() (ADR 0020) stores a batch at an explicit base at or above next, in a segment of
// its own when it leaves a gap: segments are then not contiguous, and the offsets between two
// hold no record. Reads from a gap begin at the next segment and stop at the next gap (a
// returned batch is dense); a truncation into a gap keeps the cut as start.
//
// Threading: log_data belongs to one shard (the owner of the open handle); nothing here locks.
// The engine's map holds a second reference only to hand the data to the next open_log().
#pragma once

#include "plexus/sdk/storage.h"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <limits>
#include <memory>
#include <optional>
#include <vector>

namespace plexus::storage::memory {

/// The records of one named log and its offsets. Outlives the handle: closing and reopening a
/// log keeps its records until the engine removes it.
class log_data
{
  public:
    /// An empty log that begins at `first_offset` (log_spec::first_offset).
    explicit log_data(std::optional<std::uint64_t> max_bytes, sdk::offset first_offset = sdk::offset{ 0 }) noexcept
      : _max_bytes(max_bytes)
      , _start(first_offset)
      , _next(first_offset)
    {
    }

    sdk::result<sdk::offset_range> append(sdk::record_batch batch) noexcept { return store(std::move(batch), _next); }
    /// As append(), at batch.base_offset (>= next, else invalid_argument).
    sdk::result<sdk::offset_range> append_at(sdk::record_batch batch) noexcept
    {
        const sdk::offset base = batch.base_offset;
        return store(std::move(batch), base);
    }
    sdk::result<sdk::record_batch> read(sdk::offset from, std::size_t max_bytes) const noexcept;
    sdk::offset offset_for_timestamp(sdk::timestamp_ms ts) const noexcept;
    sdk::status truncate_prefix(sdk::offset new_start) noexcept;

    sdk::offset start() const noexcept { return _start; }
    sdk::offset next() const noexcept { return _next; }
    std::uint64_t size_bytes() const noexcept { return _bytes; }

    /// Marks the log open; false when a handle is open already (a log has one owner shard).
    bool try_open() noexcept { return !_open.exchange(true, std::memory_order_acq_rel); }
    /// Called by the handle's destructor.
    void close() noexcept { _open.store(false, std::memory_order_release); }

  private:
    struct segment
    {
        sdk::offset base;                      ///< offset of records[0]
        std::vector<sdk::message_ptr> records; ///< below `_first_live` of the front: released
        sdk::timestamp_ms max_ts{ std::numeric_limits<std::int64_t>::min() };
        /// An encoded batch is a segment of its own, kept whole (records is then empty).
        std::optional<sdk::encoded_records> encoded;

        std::size_t count() const noexcept { return encoded ? encoded->count : records.size(); }
        sdk::offset end() const noexcept { return base + static_cast<std::int64_t>(count()); }
    };
    /// What append() and append_at() share: stores `batch` at `base`.
    sdk::result<sdk::offset_range> store(sdk::record_batch batch, sdk::offset base) noexcept;
    sdk::result<sdk::offset_range> store_encoded(sdk::encoded_records e, sdk::offset base) noexcept;
    /// The encoded segments from `seg` on, joined up to a gap while `max_bytes` holds.
    sdk::record_batch read_encoded(std::size_t seg, std::size_t max_bytes) const;

    /// Index in _segments of the segment holding `o` (start <= o < next), or of the first one
    /// after it when `o` lies in a gap.
    std::size_t segment_from(sdk::offset o) const noexcept;
    /// First live index of segment `i` (non-zero only for a partly truncated front).
    std::size_t first_live(std::size_t i) const noexcept { return i == 0 ? _first_live : 0; }

    std::optional<std::uint64_t> _max_bytes;
    std::atomic<bool> _open{ false };
    std::deque<segment> _segments;
    std::size_t _first_live = 0;
    sdk::offset _start{ 0 };
    sdk::offset _next{ 0 }; ///< the end of the last segment, when there is one
    std::uint64_t _bytes = 0;
    /// Timestamps never decreased so far: offset_for_timestamp() may binary-search.
    bool _monotonic = true;
    sdk::timestamp_ms _last_ts{ std::numeric_limits<std::int64_t>::min() };
};

/// The handle the kernel holds: an sdk::log over shared log_data. Every completion runs inline,
/// before the call returns (the SDK allows it for synchronous engines).
class memory_log final : public sdk::log
{
  public:
    explicit memory_log(std::shared_ptr<log_data> data) noexcept
      : _data(std::move(data))
    {
    }
    ~memory_log() override;
    memory_log(const memory_log&) = delete;
    memory_log& operator=(const memory_log&) = delete;

    sdk::result<sdk::offset_range> append(sdk::record_batch batch) noexcept override;
    sdk::result<sdk::offset_range> append_at(sdk::record_batch batch) noexcept override;
    void flush(sdk::callback<void(sdk::result<sdk::offset>)> done) noexcept override;
    void read(sdk::offset from,
              std::size_t max_bytes,
              sdk::callback<void(sdk::result<sdk::record_batch>)> done) noexcept override;
    void offset_for_timestamp(sdk::timestamp_ms ts,
                              sdk::callback<void(sdk::result<sdk::offset>)> done) noexcept override;
    sdk::status truncate_prefix(sdk::offset new_start) noexcept override;
    sdk::log_offsets offsets() const noexcept override;
    std::uint64_t size_bytes() const noexcept override;

  private:
    std::shared_ptr<log_data> _data;
};

} // namespace plexus::storage::memory
