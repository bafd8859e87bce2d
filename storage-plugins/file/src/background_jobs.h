// The blocking-pool work of an engine's logs (syncs, reads, timestamp lookups), counted so that
// closing the engine waits for it: a job uses the engine's I/O hooks and posts its completion to
// the log's owner shard, which the kernel stops and frees once the engines are closed.
#pragma once

#include "plexus/sdk/callback.h"
#include "plexus/sdk/executor.h"

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>

namespace plexus::storage::file {

class background_jobs : public std::enable_shared_from_this<background_jobs>
{
  public:
    /// Runs `job` on `pool`, counted until it returns.
    void submit(sdk::blocking_pool& pool, sdk::callback<void()> job)
    {
        {
            std::lock_guard lock(_mutex);
            ++_running;
        }
        pool.submit([self = shared_from_this(), job = std::move(job)]() mutable {
            job();
            job = {}; // what it holds (a log core) goes before the count says it is done
            std::lock_guard lock(self->_mutex);
            if (--self->_running == 0) {
                self->_idle.notify_all();
            }
        });
    }
    /// Returns once no submitted job is running or waiting to run.
    void wait_idle()
    {
        std::unique_lock lock(_mutex);
        _idle.wait(lock, [this] { return _running == 0; });
    }

  private:
    std::mutex _mutex;
    std::condition_variable _idle;
    std::size_t _running = 0;
};

} // namespace plexus::storage::file
