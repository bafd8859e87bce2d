// blocking_threads: the blocking pool an engine runs its fsyncs and reads on, like the
// broker's (a fixed number of threads, two by default as in broker_core). The destructor runs
// what is still queued, then joins, so no job outlives the engine objects it holds.
#pragma once

#include "plexus/sdk/executor.h"

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace plexus::bench {

class blocking_threads final : public sdk::blocking_pool
{
  public:
    explicit blocking_threads(std::size_t threads = 2);
    ~blocking_threads();
    blocking_threads(const blocking_threads&) = delete;
    blocking_threads& operator=(const blocking_threads&) = delete;

    void submit(sdk::callback<void()> work) noexcept override;

  private:
    void run();

    std::mutex _mutex;
    std::condition_variable _cv;
    std::deque<sdk::callback<void()>> _queue;
    bool _stopping = false;
    std::vector<std::thread> _workers;
};

} // namespace plexus::bench
