// Storage plugins: engines that keep logs (the records of queues and stream partitions) and a
// metadata key-value store (definitions, cursors, group offsets, sessions, retained messages).
//
// Threading: a `log` is used only on the shard that opened it; its completions run on that
// shard (engines post them back; a synchronous engine may complete inline, before the call
// returns, and callers must allow for that). `storage_engine` and `kv_store` methods may be
// called from any shard and are thread-safe. Blocking I/O runs on the context's blocking pool.
#pragma once

#include "plexus/sdk/callback.h"
#include "plexus/sdk/executor.h"
#include "plexus/sdk/log.h"
#include "plexus/sdk/message.h"
#include "plexus/sdk/result.h"
#include "plexus/sdk/status.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace plexus::sdk {

/// The offsets of a log. An empty log has next == start.
///  start      first offset still stored (prefix truncation moves it)
///  next       offset the next append gets
///  committed  every offset below it is durable (on a non-durable engine: == next)
struct log_offsets
{
    offset start{ 0 };
    offset next{ 0 };
    offset committed{ 0 };
};

/// What the kernel asks for when it opens a log.
struct log_spec
{
    /// Unique within the engine, e.g. "q/<vhost>/<queue>" or "s/<vhost>/<stream>/<partition>".
    std::string name;
    /// The executor of the owner shard: completions are posted there.
    executor* owner = nullptr;
    /// The size at which this log rolls to a new segment; 0: the engine's own. Ignored by
    /// engines that keep no segments. Given on every open (engines need not store it).
    std::uint64_t segment_bytes = 0;
    /// Where a log this open creates begins (start == next == first_offset); ignored when the
    /// log exists. A copy of a log (compaction) starts where the original does.
    offset first_offset{ 0 };
};

struct storage_caps
{
    bool durable = false;         ///< data survives a restart
    bool timestamp_index = false; ///< offset_for_timestamp() is cheaper than a scan
    /// The size at which a log rolls to a new segment file (the file engine's segment_bytes);
    /// 0 when logs are not kept in segments. Reported to clients (Kafka's segment.bytes).
    std::uint64_t segment_bytes = 0;
};

class log
{
  public:
    virtual ~log() = default;
    /// Appends records and assigns them dense offsets, returned at once. An encoded batch is
    /// stored as it is, with its offset slots set (encoded_records::offset_slots). The records are
    /// readable immediately; they become durable later (see flush()). Fails with
    /// resource_exhausted when the engine cannot take them (e.g. disk full): nothing is appended.
    virtual result<offset_range> append(record_batch batch) noexcept = 0;
    /// As append(), at `batch.base_offset`, which must be at or above offsets().next
    /// (invalid_argument otherwise): the offsets skipped are a gap that holds no record. How a
    /// compaction copies the records it keeps into a new log, with their offsets.
    virtual result<offset_range> append_at(record_batch batch) noexcept = 0;
    /// Completes once every record appended before the call is durable, with the new
    /// committed offset. Engines group concurrent flushes into one sync.
    virtual void flush(callback<void(result<offset>)> done) noexcept = 0;
    /// Reads records starting at `from` up to about `max_bytes` (at least one record when one
    /// exists). An empty batch means `from` is at the end. out_of_range-like requests below
    /// start return not_found. Records come back in the form they were appended: a batch holds
    /// messages or encoded records of one format, and an encoded one is returned whole, so its
    /// base may lie below `from` (and below start after a truncate_prefix inside it). When
    /// `from` lies in a gap (append_at), the batch begins at the next stored offset.
    virtual void read(offset from, std::size_t max_bytes, callback<void(result<record_batch>)> done) noexcept = 0;
    /// The first offset whose record timestamp is >= ts; `next` when there is none. For an
    /// encoded batch, whose records' times the engine does not read, the first offset of the
    /// first batch whose max_timestamp is >= ts.
    virtual void offset_for_timestamp(timestamp_ms ts, callback<void(result<offset>)> done) noexcept = 0;
    /// Drops every record below `new_start` (retention, acked prefixes). A no-op for a
    /// new_start at or below start.
    virtual status truncate_prefix(offset new_start) noexcept = 0;
    virtual log_offsets offsets() const noexcept = 0;
    /// Total bytes stored (for size-based retention and metrics).
    virtual std::uint64_t size_bytes() const noexcept = 0;
};

/// An ordered map of keys to values. Writes are applied atomically per batch.
class kv_store
{
  public:
    struct write
    {
        std::string key;
        std::optional<std::string> value; ///< nullopt deletes the key
    };
    virtual result<std::optional<std::string>> get(std::string_view key) noexcept = 0;
    /// Every (key, value) whose key starts with `prefix`, in key order.
    virtual result<std::vector<std::pair<std::string, std::string>>> scan(std::string_view prefix) noexcept = 0;
    /// Applies the writes as one atomic batch; `done` runs when they are durable, on any
    /// thread (callers post to their shard).
    virtual void apply(std::vector<write> writes, callback<void(status)> done) noexcept = 0;

  protected:
    ~kv_store() = default; // owned by its engine
};

class storage_engine
{
  public:
    virtual ~storage_engine() = default;
    /// Opens (creating when missing) the named log. Call on the owner shard.
    virtual result<std::unique_ptr<log>> open_log(const log_spec& spec) noexcept = 0;
    /// Deletes a log and its data. The log must be closed (destroyed) first.
    virtual status remove_log(std::string_view name) noexcept = 0;
    /// Names of every log the engine holds (for recovery at startup).
    virtual result<std::vector<std::string>> list_logs() noexcept = 0;
    virtual kv_store& metadata() noexcept = 0;
    virtual storage_caps caps() const noexcept = 0;
    /// Makes everything durable before shutdown. Blocking; called once, after the shards stopped.
    virtual status close() noexcept = 0;
};

/// What the kernel gives an engine when it creates it.
struct storage_context
{
    std::string data_dir; ///< the engine's own directory (created by the kernel)
    logger* log = nullptr;
    blocking_pool* blocking = nullptr;
};

/// What a storage plugin's descriptor creates.
class storage_factory
{
  public:
    virtual ~storage_factory() = default;
    virtual status validate(std::string_view config_json) const noexcept = 0;
    virtual result<std::unique_ptr<storage_engine>> create(const storage_context& ctx,
                                                           std::string_view config_json) noexcept = 0;
};

} // namespace plexus::sdk
