#include "bench/storage/shard_loop.h"

namespace plexus::bench {

struct shard_loop::timer_state
{
    bool cancelled = false; // guarded by the loop's mutex
    sdk::callback<void()> task;
};

class shard_loop::loop_timer final : public sdk::timer
{
  public:
    loop_timer(shard_loop& loop, std::shared_ptr<timer_state> state) noexcept
      : _loop(loop)
      , _state(std::move(state))
    {
    }
    ~loop_timer() override { cancel(); }
    void cancel() noexcept override
    {
        sdk::callback<void()> dropped; // released outside the lock: its captures may post
        std::lock_guard lock(_loop._mutex);
        _state->cancelled = true;
        dropped = std::move(_state->task);
    }

  private:
    shard_loop& _loop;
    std::shared_ptr<timer_state> _state;
};

void shard_loop::post(sdk::callback<void()> task) noexcept
{
    {
        std::lock_guard lock(_mutex);
        _tasks.push_back(std::move(task));
    }
    _wake.notify_one();
}

std::unique_ptr<sdk::timer> shard_loop::post_after(std::chrono::milliseconds delay, sdk::callback<void()> task) noexcept
{
    auto state = std::make_shared<timer_state>();
    state->task = std::move(task);
    {
        std::lock_guard lock(_mutex);
        _timers.emplace(clock::now() + delay, state);
    }
    _wake.notify_one();
    return std::make_unique<loop_timer>(*this, std::move(state));
}

sdk::callback<void()> shard_loop::next_task(clock::time_point until)
{
    std::unique_lock lock(_mutex);
    for (;;) {
        const auto now = clock::now();
        while (!_timers.empty() && _timers.begin()->first <= now) {
            auto state = std::move(_timers.begin()->second);
            _timers.erase(_timers.begin());
            if (!state->cancelled && state->task) {
                state->cancelled = true; // fired: a later cancel() is a no-op
                return std::move(state->task);
            }
        }
        if (!_tasks.empty()) {
            auto task = std::move(_tasks.front());
            _tasks.pop_front();
            return task;
        }
        if (now >= until) {
            return {};
        }
        const auto wake_at = _timers.empty() ? until : std::min(until, _timers.begin()->first);
        _wake.wait_until(lock, wake_at);
    }
}

bool shard_loop::run_until(const std::function<bool()>& done, clock::time_point deadline)
{
    _runner = std::this_thread::get_id();
    while (!done()) {
        if (clock::now() >= deadline) {
            return false; // also when tasks keep coming (an engine that completes inline)
        }
        auto task = next_task(deadline);
        if (!task) {
            return done();
        }
        task();
    }
    return true;
}

void shard_loop::run_ready()
{
    _runner = std::this_thread::get_id();
    while (auto task = next_task(clock::now())) {
        task();
    }
}

} // namespace plexus::bench
