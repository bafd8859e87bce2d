// group_commit: WAL syncs shared by everyone who asks while one is running.
//
// The engine has one RocksDB WAL, so one sync makes every log and the metadata store durable
// at once. A request made while no sync runs starts one on the blocking pool; requests made
// while it runs wait and are all served by the next one (which starts after every one of them
// was made, so it covers what each wrote before asking). Under load that is one fsync per
// sync's duration, however many logs and flushes ask.
//
// Threading: request() may be called from any thread. `done` runs on the pool thread that
// synced (callers post to their own shard), or inline in request() when the pool refuses work.
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

    /// Calls `done` with the result of a sync that starts after this call.
    void request(sdk::callback<void(sdk::status)> done) noexcept;

    /// Syncs run so far (each served one or more requests).
    std::uint64_t syncs() const noexcept { return _syncs.load(std::memory_order_relaxed); }
    /// Requests served so far.
    std::uint64_t requests() const noexcept { return _served.load(std::memory_order_relaxed); }

  private:
    using waiter = sdk::callback<void(sdk::status)>;

    /// The pool side: syncs for whoever waits, round after round, until nobody does.
    void run() noexcept;
    /// Completes every waiter with `st` and lets the next request start a sync.
    void fail_waiting(const sdk::status& st) noexcept;

    sync_function _sync;
    submit_function _submit;
    std::mutex _mutex;
    std::vector<waiter> _waiting; ///< served by the next sync
    bool _running = false;        ///< a run() is queued or running; it takes _waiting
    std::atomic<std::uint64_t> _syncs{ 0 };
    std::atomic<std::uint64_t> _served{ 0 };
};

} // namespace plexus::storage::rocks
