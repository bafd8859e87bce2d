#include "support/storage_doubles.h"

namespace plexus::test {

// ---- thread_blocking_pool ------------------------------------------------------------------

thread_blocking_pool::thread_blocking_pool()
  : _worker([this] { run(); })
{
}

thread_blocking_pool::~thread_blocking_pool()
{
    {
        std::lock_guard lock(_mutex);
        _stopping = true;
    }
    _cv.notify_all();
    _worker.join();
}

void thread_blocking_pool::submit(sdk::callback<void()> work) noexcept
{
    {
        std::lock_guard lock(_mutex);
        _queue.push_back(std::move(work));
        ++_submitted;
    }
    _cv.notify_one();
}

std::uint64_t thread_blocking_pool::submitted() const
{
    std::lock_guard lock(_mutex);
    return _submitted;
}

void thread_blocking_pool::run()
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

// ---- capturing_logger ----------------------------------------------------------------------

void capturing_logger::write(sdk::log_level level, std::string_view text) noexcept
{
    try {
        std::lock_guard lock(_mutex);
        _lines.emplace_back(text);
    } catch (...) {
        // a test logger that cannot allocate drops the line
    }
}

std::vector<std::string> capturing_logger::lines() const
{
    std::lock_guard lock(_mutex);
    return _lines;
}

} // namespace plexus::test
