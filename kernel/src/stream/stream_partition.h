// One partition of a stream: an append-only engine log read by offset (Kafka-style fetch) or
// pushed to subscribers from a start position (AMQP x-stream-offset), with retention by time
// and size applied on a timer. Reading never removes records.
//
// Threading: owned by one shard; every method runs there. Deliveries are posted to each
// subscriber's shard.
#pragma once

#include "kernel/src/queue/queue.h"
#include "kernel/src/stream/log_compaction.h"
#include "kernel/src/stream/record_format_set.h"
#include "plexus/sdk/kernel.h"
#include "plexus/sdk/storage.h"

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace plexus::kernel {

/// Names the stream a forwarded copy comes from (stream_spec::forward_exchange): its route
/// skips that stream, and it is not forwarded again.
inline constexpr std::string_view forwarded_from_header = "x-plexus-forwarded-from";

struct stream_options
{
    std::string vhost;
    std::string name;
    sdk::partition_id partition{ 0 };
    std::string storage;
    std::optional<std::int64_t> retention_ms;
    std::optional<std::int64_t> retention_bytes;
    /// Compaction (ADR 0020): on when `compact`; needs `engine` (where the copies go), the
    /// generation of the log the partition opened, and `logger` for what a pass finds.
    bool compact = false;
    std::optional<std::int64_t> delete_retention_ms;
    std::uint64_t segment_bytes = 0;
    sdk::storage_engine* engine = nullptr;
    std::uint64_t generation = 0;
    std::chrono::milliseconds compaction_interval{ 15000 };
    sdk::logger* logger = nullptr;
    /// Called with each record once appended, when the stream forwards to an exchange.
    std::function<void(const sdk::message_ptr&)> forward;
    /// Decodes encoded batches for readers of messages; none: encoded appends are refused.
    const record_format_set* formats = nullptr;
};

class stream_partition : public std::enable_shared_from_this<stream_partition>
{
  public:
    stream_partition(stream_options options, std::unique_ptr<sdk::log> log, sdk::executor& exec);
    ~stream_partition();

    const stream_options& options() const noexcept { return _options; }

    /// Appends a batch; `done` gets the offsets once `level` is reached (runs on this shard).
    void append(sdk::record_batch batch,
                sdk::ack_level level,
                sdk::callback<void(sdk::result<sdk::offset_range>)> done);
    /// Records from `from` in the form asked for (sdk::kernel::fetch).
    void fetch(sdk::offset from,
               std::size_t max_bytes,
               sdk::batch_form form,
               sdk::callback<void(sdk::result<sdk::record_batch>)> done);
    sdk::log_offsets offsets() const noexcept { return _log->offsets(); }
    std::uint64_t size_bytes() const noexcept { return _log->size_bytes(); }
    void offset_for_timestamp(sdk::timestamp_ms ts, sdk::callback<void(sdk::result<sdk::offset>)> done);
    /// Answers the offsets once a record at `from` exists or `max_wait` has passed
    /// (sdk::kernel::wait_for_records), or with shutdown()'s reason if that comes first.
    void wait_for_records(sdk::offset from,
                          std::chrono::milliseconds max_wait,
                          sdk::callback<void(sdk::result<sdk::log_offsets>)> done);

    /// Pushes records from `start` to the subscriber, `prefetch` unacked at most (0: 256 per
    /// turn). Acks only return credit: streams are not consumed destructively.
    std::uint64_t add_subscriber(const sdk::stream_start& start,
                                 std::uint32_t prefetch,
                                 std::shared_ptr<subscriber_link> link);
    void remove_subscriber(std::uint64_t id);
    void settle(std::uint64_t id, std::uint64_t tag, bool multiple);

    /// New retention limits (none: unlimited) and compaction, applied from the next pass.
    void set_config(const sdk::stream_config& config) noexcept
    {
        const bool tracked = tracks_sizes();
        _options.retention_ms = config.retention_ms;
        _options.retention_bytes = config.retention_bytes;
        _options.compact = config.compact;
        _options.delete_retention_ms = config.delete_retention_ms;
        if (!tracked && tracks_sizes()) {
            reseed_size_marks();
        }
    }
    /// Applies the retention limits now, and starts a compaction when one is due (run every
    /// second by the broker).
    void apply_retention(sdk::timestamp_ms now);
    /// Completes once everything appended before is durable, a compacted log's new
    /// generation recorded included.
    void flush(sdk::callback<void(sdk::status)> done);
    /// The generation of the log in use (partition_log_name).
    std::uint64_t generation() const noexcept { return _options.generation; }
    void shutdown(const sdk::status& why);

  private:
    struct subscriber
    {
        std::uint64_t id;
        std::shared_ptr<subscriber_link> link;
        sdk::offset position;
        std::uint32_t prefetch;
        std::deque<std::uint64_t> unacked_tags;
        std::uint64_t next_tag = 1;
        bool reading = false;
    };
    /// A long-polling fetch waiting for the record at `from`.
    struct record_waiter
    {
        std::uint64_t id;
        sdk::offset from;
        sdk::callback<void(sdk::result<sdk::log_offsets>)> done;
        std::unique_ptr<sdk::timer> timer; ///< answers with the offsets as they are at max_wait
    };
    /// What calls made after shutdown() answer.
    sdk::status deleted() const;
    void wake_waiters();
    void schedule();
    void dispatch();
    void pump(subscriber& s);
    void maybe_compact(sdk::timestamp_ms now);
    /// Bytes appended before the batch holding offset `o` (from _size_marks; the batch itself
    /// counts as after).
    std::uint64_t bytes_appended_before(sdk::offset o) const noexcept;
    /// Size retention and compaction need a mark per appended batch; nothing else does, so a
    /// stream with neither keeps none (else one per batch, forever).
    bool tracks_sizes() const noexcept { return _options.retention_bytes.has_value() || _options.compact; }
    /// One mark for all the log holds now, at its start (at open, after a compaction, when
    /// tracking starts).
    void reseed_size_marks();
    void start_compaction(sdk::offset clean_end, sdk::timestamp_ms now);
    void compacted(sdk::result<compaction_outcome> r);
    /// Stores the generation in use; until it is stored, durable completions wait.
    void record_generation();
    /// Runs `then` once the generation in use is recorded (at once when it is).
    void when_recorded(sdk::callback<void(sdk::status)> then);
    void remove_retired_log();
    std::string log_name(std::uint64_t generation) const;

    stream_options _options;
    const record_format_set& _formats; ///< _options.formats, or none
    std::unique_ptr<sdk::log> _log;
    sdk::executor& _exec;
    std::vector<std::unique_ptr<subscriber>> _subscribers;
    std::uint64_t _next_subscriber = 1;
    std::vector<record_waiter> _waiters;
    std::uint64_t _next_waiter = 1;
    bool _scheduled = false;
    bool _shut_down = false;
    // (first offset of an appended batch, bytes appended before it): for size retention and
    // compaction. Byte counts are compared only as differences (modulo 2^64): the log's
    // contents from before this process count as appended "before 0".
    std::deque<std::pair<sdk::offset, std::uint64_t>> _size_marks;
    std::uint64_t _bytes_appended = 0;
    // Compaction: the pass under way, when the last one began and how much had been
    // appended then, and the log it replaced (removed once the new one is recorded).
    std::shared_ptr<log_compaction> _compaction;
    sdk::timestamp_ms _last_compaction{ 0 };
    std::chrono::steady_clock::time_point _compaction_began; ///< for the log line of a pass
    bool _head_postponed = false;                            ///< the last look found a head and waited a tick
    std::uint64_t _bytes_at_last_compaction = 0;             ///< what a pass left clean: up to its head
    bool _generation_unrecorded = false;
    bool _recording = false;
    std::vector<sdk::callback<void(sdk::status)>> _after_recorded;
    std::unique_ptr<sdk::log> _retired_log;
    std::string _retired_name;
};

} // namespace plexus::kernel
