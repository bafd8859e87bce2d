#include "bench/storage/blocking_threads.h"

namespace plexus::bench {

blocking_threads::blocking_threads(std::size_t threads)
{
    _workers.reserve(threads);
    for (std::size_t i = 0; i < threads; ++i) {
        _workers.emplace_back([this] { run(); });
    }
}

blocking_threads::~blocking_threads()
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

void blocking_threads::submit(sdk::callback<void()> work) noexcept
{
    {
        std::lock_guard lock(_mutex);
        _queue.push_back(std::move(work));
    }
    _cv.notify_one();
}

void blocking_threads::run()
{
    for (;;) {
        sdk::callback<void()> work;
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

} // namespace plexus::bench
