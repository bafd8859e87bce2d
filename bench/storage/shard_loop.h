// shard_loop: the owner shard of the logs a benchmark opens. The benchmark's own thread plays
// the shard, as a broker shard thread would: it calls run_until(), which runs posted tasks and
// due timers and sleeps on a condition variable in between, so a waiting benchmark costs no
// CPU that the engine's pool threads could use. (The tests' fake_executor polls with sleeps,
// which would put its own latency into every measured completion.)
#pragma once

#include "plexus/sdk/executor.h"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

namespace plexus::bench {

class shard_loop final : public sdk::executor
{
  public:
    using clock = std::chrono::steady_clock;

    shard_loop() = default;
    shard_loop(const shard_loop&) = delete;
    shard_loop& operator=(const shard_loop&) = delete;
    /// Tasks still queued are destroyed without running.
    ~shard_loop() = default;

    sdk::shard_id id() const noexcept override { return sdk::shard_id{ 0 }; }
    void post(sdk::callback<void()> task) noexcept override;
    std::unique_ptr<sdk::timer> post_after(std::chrono::milliseconds delay,
                                           sdk::callback<void()> task) noexcept override;
    bool is_current() const noexcept override { return std::this_thread::get_id() == _runner; }

    /// Runs tasks and timers on the calling thread until `done()` holds (checked after each
    /// task) or `deadline` passes; returns whether `done()` held.
    bool run_until(const std::function<bool()>& done, clock::time_point deadline);
    /// Runs what is queued (and what that posts) without waiting for anything else. Returns
    /// only once the queue is empty.
    void run_ready();

  private:
    struct timer_state;
    class loop_timer;

    /// Takes the next runnable task (a due timer's or a posted one), waiting until `until`.
    sdk::callback<void()> next_task(clock::time_point until);

    std::mutex _mutex;
    std::condition_variable _wake;
    std::deque<sdk::callback<void()>> _tasks;
    std::multimap<clock::time_point, std::shared_ptr<timer_state>> _timers;
    std::thread::id _runner;
};

} // namespace plexus::bench
