// thread_pool: a real blocking pool for running an engine outside the kernel (tests, the crash
// child, benchmarks): a fixed number of worker threads, like the broker's. The destructor runs
// what is still queued, then joins, so no job outlives the engine objects it holds.
#pragma once

#include "plexus/sdk/executor.h"

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace plexus::sdk::testing {

class thread_pool final : public blocking_pool
{
  public:
    explicit thread_pool(std::size_t threads = 1)
    {
        for (std::size_t i = 0; i < threads; ++i) {
            _workers.emplace_back([this] { run(); });
        }
    }
    ~thread_pool()
    {
        {
            std::lock_guard lock(_mutex);
            _stopping = true;
        }
        _cv.notify_all();
        for (auto& w : _workers) {
            w.join();
        }
    }
    thread_pool(const thread_pool&) = delete;
    thread_pool& operator=(const thread_pool&) = delete;

    void submit(callback<void()> work) noexcept override
    {
        {
            std::lock_guard lock(_mutex);
            _queue.push_back(std::move(work));
            ++_submitted;
        }
        _cv.notify_one();
    }
    /// Jobs submitted so far.
    std::uint64_t submitted() const
    {
        std::lock_guard lock(_mutex);
        return _submitted;
    }

  private:
    void run()
    {
        for (;;) {
            callback<void()> work;
            {
                std::unique_lock lock(_mutex);
                _cv.wait(lock, [this] { return _stopping || !_queue.empty(); });
                if (_queue.empty()) {
                    return; // stopping, and everything submitted has run
                }
                work = std::move(_queue.front());
                _queue.pop_front();
            }
            if (work) {
                work();
            }
        }
    }

    mutable std::mutex _mutex;
    std::condition_variable _cv;
    std::deque<callback<void()>> _queue;
    bool _stopping = false;
    std::uint64_t _submitted = 0;
    std::vector<std::thread> _workers;
};

} // namespace plexus::sdk::testing
