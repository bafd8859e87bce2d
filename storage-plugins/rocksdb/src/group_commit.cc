#include "group_commit.h"

#include <algorithm>
#include <iterator>

namespace plexus::storage::rocks {

void group_commit::request(std::uint64_t needed, sdk::callback<void(sdk::status)> done) noexcept
{
    bool start = false;
    {
        std::unique_lock lock(_mutex);
        if (needed <= _durable) {
            lock.unlock();
            _served.fetch_add(1, std::memory_order_relaxed);
            done(sdk::status()); // a finished sync covered it
            return;
        }
        try {
            _waiting.reserve(_waiting.size() + 1); // the only step that can fail; `done` stays ours
        } catch (...) {
            lock.unlock();
            done(sdk::status(sdk::errc::resource_exhausted, "out of memory queueing a WAL sync"));
            return;
        }
        _waiting.push_back(waiter{ needed, std::move(done) }); // within capacity; moves are noexcept
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
        std::uint64_t covers = 0;
        {
            std::lock_guard lock(_mutex);
            if (_waiting.empty()) {
                _running = false;
                return;
            }
            round.swap(_waiting);
            // Every waiter in the round named a count no higher than this; the writes counted
            // have returned, so the sync below covers them.
            covers = written();
        }
        sdk::status st;
        try {
            st = _sync();
        } catch (...) {
            st = sdk::status(sdk::errc::internal, "the WAL sync threw");
        }
        {
            std::lock_guard lock(_mutex);
            if (st.ok() && covers > _durable) {
                _durable = covers;
            }
            // Requests that came during the sync for writes it covered join this round.
            const auto covered =
              std::partition(_waiting.begin(), _waiting.end(), [covers](const waiter& w) { return w.needed > covers; });
            try {
                round.reserve(round.size() + static_cast<std::size_t>(_waiting.end() - covered));
                std::move(covered, _waiting.end(), std::back_inserter(round));
                _waiting.erase(covered, _waiting.end());
            } catch (...) {
                // out of memory: they stay and the next sync serves them
            }
        }
        _syncs.fetch_add(1, std::memory_order_relaxed);
        _served.fetch_add(round.size(), std::memory_order_relaxed);
        for (auto& w : round) {
            w.done(st);
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
    for (auto& w : failed) {
        w.done(st);
    }
}

} // namespace plexus::storage::rocks
