// One priority level of a queue (x-max-priority): its own engine log and cursor, so a backlog of
// any priority stays paged in its log while only a bounded read-ahead window is in memory.
//
// A queue without priorities has exactly one lane. The lane keeps what belongs to one log — the
// ack tracker, the read-ahead window, the requeued messages waiting to go out again in their
// original position, the arrival times for TTLs and the saved cursor — while the queue keeps
// consumers, credit and settling, and chooses which lane's head goes out next.
//
// Threading: owned by the queue, on its shard; every method runs there.
#pragma once

#include "kernel/src/queue/ack_tracker.h"
#include "kernel/src/queue/arrival_index.h"
#include "plexus/sdk/storage.h"

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace plexus::kernel {

/// A message ready to go out (or out and unacked): where it is in its lane's log.
struct ready_entry
{
    sdk::offset position;
    sdk::message_ptr msg;
    std::uint32_t deliveries = 0; ///< times delivered so far
    std::uint8_t lane = 0;        ///< the priority lane whose log holds it
};

/// Where a lane keeps its records and, for a durable queue, its acks.
struct lane_storage
{
    std::unique_ptr<sdk::log> log;
    sdk::kv_store* cursors = nullptr; ///< null: acks are not kept across restarts
    std::string cursor_key;
};

class queue_lane
{
  public:
    queue_lane(std::uint8_t priority, lane_storage storage, std::int64_t opened_ms);
    queue_lane(const queue_lane&) = delete;
    queue_lane& operator=(const queue_lane&) = delete;

    std::uint8_t priority() const noexcept { return _priority; }
    sdk::log& log() noexcept { return *_log; }

    /// Appends `msgs` (arrived at `now_ms`); returns the first offset. They join the read-ahead
    /// window directly when nothing older is still waiting in the log.
    sdk::result<sdk::offset> append(std::vector<sdk::message_ptr> msgs, std::int64_t now_ms);

    /// A requeued or read-ahead message is in memory.
    bool has_in_memory() const noexcept { return !_requeued.empty() || !_fresh.empty(); }
    /// Records are still in the log that the read-ahead has not loaded.
    bool has_unread() const noexcept { return _read_next < _log->offsets().next; }
    bool reading() const noexcept { return _reading; }
    sdk::offset read_next() const noexcept { return _read_next; }
    /// A read-ahead would load something now (none under way, room in the window).
    bool can_read_ahead() const noexcept;
    /// The window ran low: time to read ahead again (when can_read_ahead()).
    bool low_on_read_ahead() const noexcept;
    /// Reads the next records into the window. `landed` runs when the read completes after
    /// this call returned (a read that completes inside it needs no wake-up); it keeps the
    /// lane's owner alive until then.
    void read_ahead(sdk::callback<void()> landed);

    /// The next message of this lane (requeued first, then the read-ahead); null when none is
    /// in memory.
    ready_entry* head() noexcept;
    /// Takes head() out. Precondition: has_in_memory().
    ready_entry pop();
    /// Puts a delivered message back in its original position.
    void requeue(ready_entry&& e);
    void settle(sdk::offset o) { _acks.settle(o); }

    /// Ready messages: in memory and still in the log.
    std::uint64_t ready_count() const noexcept;
    /// Body bytes of the ready messages the lane has seen (appended, or read back after a
    /// restart), for x-max-length-bytes.
    std::uint64_t ready_bytes() const noexcept { return _ready_bytes; }
    /// When `o` arrived (for TTLs).
    std::int64_t arrival(sdk::offset o) const noexcept { return _arrivals.arrival(o); }

    /// Settles every ready message; returns how many there were.
    std::uint64_t purge();
    /// Drops the log below the first unsettled offset.
    void trim();
    /// Stores the acks when they changed since the last save (best effort: a lost save only
    /// means redelivery after a crash, which at-least-once allows).
    void save_cursor();
    /// The queue was shut down: a read that lands later is ignored.
    void close() noexcept { _closed = true; }

  private:
    void take_read(sdk::result<sdk::record_batch> r);

    std::uint8_t _priority;
    std::unique_ptr<sdk::log> _log;
    ack_tracker _acks;
    std::deque<ready_entry> _fresh; // read-ahead, contiguous offsets
    std::map<std::int64_t, ready_entry> _requeued;
    sdk::offset _read_next; // next offset to load into _fresh
    sdk::offset _trimmed_to;
    sdk::offset _recovered_end; ///< the log's end when the lane opened: below it, maybe delivered before
    arrival_index _arrivals;
    std::uint64_t _ready_bytes = 0;
    sdk::kv_store* _cursors;
    std::string _cursor_key;
    std::uint64_t _saved_version = 0;
    bool _reading = false;
    bool _in_read_call = false;
    bool _closed = false;
};

} // namespace plexus::kernel
