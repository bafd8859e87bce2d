// fake_executor: a deterministic sdk::executor for unit tests. Nothing runs until the test says
// so: post() queues, run_all() drains the queue on the calling thread, and timers fire only when
// the test advances the manual clock. is_current() is always true (the test thread plays the
// shard).
//
//   plexus::sdk::testing::fake_executor exec;
//   exec.post([&] { ran = true; });
//   exec.run_all();                                 // ran == true
//   auto t = exec.post_after(10ms, [&] { fired = true; });
//   exec.advance(9ms);                              // not yet
//   exec.advance(1ms);                              // fired == true
//
// post() may be called from any thread (a blocking pool posting a completion back); the tasks
// still run only inside run_all()/run_one()/advance(), on the thread that calls them.
#pragma once

#include "plexus/sdk/executor.h"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <utility>

namespace plexus::sdk::testing {

class fake_executor final : public executor
{
  public:
    explicit fake_executor(shard_id id = shard_id{ 0 }) noexcept
      : _id(id)
    {
    }
    fake_executor(const fake_executor&) = delete;
    fake_executor& operator=(const fake_executor&) = delete;
    /// Queued tasks and pending timers are destroyed without running.
    ~fake_executor() = default;

    shard_id id() const noexcept override { return _id; }
    void set_id(shard_id id) noexcept { _id = id; }
    bool is_current() const noexcept override { return true; }

    void post(callback<void()> task) noexcept override
    {
        std::lock_guard lock(_mutex);
        _tasks.push_back(std::move(task));
        ++_posted;
    }

    std::unique_ptr<timer> post_after(std::chrono::milliseconds delay, callback<void()> task) noexcept override
    {
        auto state = std::make_shared<timer_state>();
        state->task = std::move(task);
        std::lock_guard lock(_mutex);
        const auto deadline = _now + std::max(delay, std::chrono::milliseconds(0));
        _timers.emplace(std::make_pair(deadline, _timer_seq++), state);
        return std::make_unique<fake_timer>(state);
    }

    /// Runs one queued task; false when the queue was empty.
    bool run_one()
    {
        callback<void()> task;
        {
            std::lock_guard lock(_mutex);
            if (_tasks.empty()) {
                return false;
            }
            task = std::move(_tasks.front());
            _tasks.pop_front();
        }
        if (task) {
            task();
        }
        return true;
    }

    /// Runs queued tasks, including those they post, until the queue is empty. Returns how
    /// many ran.
    std::size_t run_all()
    {
        std::size_t n = 0;
        while (run_one()) {
            ++n;
        }
        return n;
    }

    /// Moves the clock forward by `d`, firing due timers in deadline order (ties in the order
    /// they were set) and draining the queue after each; a timer set by a callback fires in
    /// the same call when its deadline is within the new time.
    void advance(std::chrono::milliseconds d)
    {
        run_all();
        const auto target = _now + d;
        for (;;) {
            std::shared_ptr<timer_state> due;
            {
                std::lock_guard lock(_mutex);
                auto it = _timers.begin();
                if (it == _timers.end() || it->first.first > target) {
                    break;
                }
                _now = it->first.first;
                due = std::move(it->second);
                _timers.erase(it);
            }
            if (!due->cancelled) {
                due->cancelled = true; // fired: a later cancel() is a no-op
                auto task = std::move(due->task);
                if (task) {
                    task();
                }
            }
            run_all();
        }
        std::lock_guard lock(_mutex);
        _now = target;
    }

    /// Time since construction on the manual clock.
    std::chrono::milliseconds now() const noexcept
    {
        std::lock_guard lock(_mutex);
        return _now;
    }
    /// Tasks queued and not yet run.
    std::size_t pending() const noexcept
    {
        std::lock_guard lock(_mutex);
        return _tasks.size();
    }
    /// Timers neither fired nor cancelled.
    std::size_t pending_timers() const noexcept
    {
        std::lock_guard lock(_mutex);
        std::size_t n = 0;
        for (const auto& [key, state] : _timers) {
            n += state->cancelled ? 0 : 1;
        }
        return n;
    }
    /// Every post() since construction.
    std::uint64_t posted() const noexcept
    {
        std::lock_guard lock(_mutex);
        return _posted;
    }

  private:
    struct timer_state
    {
        bool cancelled = false;
        callback<void()> task;
    };

    class fake_timer final : public timer
    {
      public:
        explicit fake_timer(std::shared_ptr<timer_state> state) noexcept
          : _state(std::move(state))
        {
        }
        ~fake_timer() override { cancel(); }
        void cancel() noexcept override
        {
            _state->cancelled = true;
            _state->task.reset(); // release captures now, as a real cancel would
        }

      private:
        std::shared_ptr<timer_state> _state;
    };

    shard_id _id;
    mutable std::mutex _mutex;
    std::deque<callback<void()>> _tasks;
    /// Keyed by (deadline, order set): ties fire in the order they were set.
    using timer_key = std::pair<std::chrono::milliseconds, std::uint64_t>;
    std::map<timer_key, std::shared_ptr<timer_state>> _timers;
    std::chrono::milliseconds _now{ 0 };
    std::uint64_t _timer_seq = 0;
    std::uint64_t _posted = 0;
};

} // namespace plexus::sdk::testing
