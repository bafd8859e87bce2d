// group_commit: WAL syncs shared by everyone who asks while one is running.
//
// The engine has one RocksDB WAL, so one sync makes every log and the metadata store durable
// at once. Writers count their writes (wrote()); a sync covers the writes counted when it
// started. A request names the count it needs: one a finished sync covered completes at once,
// one made while no sync runs starts one on the blocking pool, and one made while a sync runs
// waits for the end of that sync when it covers the request, else for the next. Under load
// that is one fsync per sync's duration, however many logs and flushes ask, and a log that
// asks late for writes an earlier sync covered does not wait for another.
//
// Threading: wrote() and request() may be called from any thread. `done` runs on the pool
// thread that synced (callers post to their own shard), or inline in request() when a
// finished sync covered it or the pool refuses work.
#pragma once

#include "plexus/sdk/callback.h"
#include "plexus/sdk/status.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

namespace plexus::storage::rocks {

class group_commit
{
  public:
    /// Makes everything written so far durable. Runs on the pool, one call at a time.
    using sync_function = std::function<sdk::status()>;
    /// Runs a job on the blocking pool: the job gets an ok status there, or the reason inline
    /// when the pool will not take it (e.g. the database is closing).
    using submit_function = std::function<void(sdk::callback<void(const sdk::status&)>)>;

    group_commit(sync_function sync, submit_function submit)
      : _sync(std::move(sync))
      , _submit(std::move(submit))
    {
    }
    group_commit(const group_commit&) = delete;
    group_commit& operator=(const group_commit&) = delete;

    /// Counts a write that has returned; returns the count, which a request for it names.
    std::uint64_t wrote() noexcept { return _written.fetch_add(1, std::memory_order_acq_rel) + 1; }
    /// Writes counted so far.
    std::uint64_t written() const noexcept { return _written.load(std::memory_order_acquire); }

    /// Calls `done` with the result of a sync covering the first `needed` writes counted.
    void request(std::uint64_t needed, sdk::callback<void(sdk::status)> done) noexcept;
    /// Calls `done` with the result of a sync covering every write counted before this call.
    void request(sdk::callback<void(sdk::status)> done) noexcept { request(written(), std::move(done)); }

    /// Syncs run so far (each served one or more requests).
    std::uint64_t syncs() const noexcept { return _syncs.load(std::memory_order_relaxed); }
    /// Requests served so far.
    std::uint64_t requests() const noexcept { return _served.load(std::memory_order_relaxed); }

  private:
    struct waiter
    {
        std::uint64_t needed; ///< the writes it waits for: those counted up to this
        sdk::callback<void(sdk::status)> done;
    };

    /// The pool side: syncs for whoever waits, round after round, until nobody does.
    void run() noexcept;
    /// Completes every waiter with `st` and lets the next request start a sync.
    void fail_waiting(const sdk::status& st) noexcept;

    sync_function _sync;
    submit_function _submit;
    std::mutex _mutex;
    std::vector<waiter> _waiting; ///< served by the running sync when it covers them, else the next
    bool _running = false;        ///< a run() is queued or running; it takes _waiting
    std::uint64_t _durable = 0;   ///< writes a finished sync covered (under _mutex)
    std::atomic<std::uint64_t> _written{ 0 };
    std::atomic<std::uint64_t> _syncs{ 0 };
    std::atomic<std::uint64_t> _served{ 0 };
};

} // namespace plexus::storage::rocks
