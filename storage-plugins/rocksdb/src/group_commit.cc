#include "group_commit.h"

namespace plexus::storage::rocks {

void group_commit::request(sdk::callback<void(sdk::status)> done) noexcept
{
    bool start = false;
    {
        std::unique_lock lock(_mutex);
        try {
            _waiting.reserve(_waiting.size() + 1); // the only step that can fail; `done` stays ours
        } catch (...) {
            lock.unlock();
            done(sdk::status(sdk::errc::resource_exhausted, "out of memory queueing a WAL sync"));
            return;
        }
        _waiting.push_back(std::move(done)); // within capacity, and callback moves are noexcept
        if (!_running) {
            _running = true;
            start = true;
        }
    }
    if (!start) {
        return; // the round that is queued or running takes it
    }
    try {
        _submit([this](const sdk::status& st) {
            if (st.ok()) {
                run();
            } else {
                fail_waiting(st);
            }
        });
    } catch (...) {
        fail_waiting(sdk::status(sdk::errc::internal, "a WAL sync could not be submitted"));
    }
}

void group_commit::run() noexcept
{
    for (;;) {
        std::vector<waiter> round;
        {
            std::lock_guard lock(_mutex);
            if (_waiting.empty()) {
                _running = false;
                return;
            }
            round.swap(_waiting);
        }
        sdk::status st;
        try {
            st = _sync();
        } catch (...) {
            st = sdk::status(sdk::errc::internal, "the WAL sync threw");
        }
        _syncs.fetch_add(1, std::memory_order_relaxed);
        _served.fetch_add(round.size(), std::memory_order_relaxed);
        for (auto& done : round) {
            done(st);
        }
    }
}

void group_commit::fail_waiting(const sdk::status& st) noexcept
{
    std::vector<waiter> failed;
    {
        std::lock_guard lock(_mutex);
        failed.swap(_waiting);
        _running = false;
    }
    for (auto& done : failed) {
        done(st);
    }
}

} // namespace plexus::storage::rocks
