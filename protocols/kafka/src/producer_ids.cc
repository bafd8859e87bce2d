#include "producer_ids.h"

#include "producer_state_codec.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace plexus::protocol::kafka {

void producer_ids::attach(sdk::kv_store& store, std::string key, std::int64_t stored_next)
{
    std::lock_guard lock(_mutex);
    _store = &store;
    _key = std::move(key);
    _next = std::max(_next, stored_next);
    _reserved = _next; // nothing of the stored block is known to be unused: start a new one
}

void producer_ids::next(sdk::callback<void(sdk::result<std::int64_t>)> done)
{
    std::unique_lock lock(_mutex);
    if (_store == nullptr || _next < _reserved) {
        auto id = _next++;
        lock.unlock();
        done(id);
        return;
    }
    _waiting.push_back(std::move(done));
    if (_reserving) {
        return;
    }
    _reserving = true;
    auto until = _reserved + block;
    lock.unlock();
    reserve(until);
}

void producer_ids::reserve(std::int64_t until)
{
    std::vector<sdk::kv_store::write> writes;
    writes.push_back({ _key, encode_producer_id(until) });
    _store->apply(std::move(writes), [self = shared_from_this(), until](sdk::status st) { self->reserved(until, st); });
}

void producer_ids::reserved(std::int64_t until, const sdk::status& st)
{
    std::vector<std::pair<sdk::callback<void(sdk::result<std::int64_t>)>, sdk::result<std::int64_t>>> answers;
    std::int64_t again = 0;
    {
        std::lock_guard lock(_mutex);
        _reserving = false;
        if (st.ok()) {
            _reserved = until;
        }
        while (!_waiting.empty() && (!st.ok() || _next < _reserved)) {
            sdk::result<std::int64_t> r = st.ok() ? sdk::result<std::int64_t>(_next++) : sdk::result<std::int64_t>(st);
            answers.emplace_back(std::move(_waiting.front()), std::move(r));
            _waiting.pop_front();
        }
        if (!_waiting.empty()) { // more callers than the block held
            _reserving = true;
            again = _reserved + block;
        }
    }
    for (auto& [done, r] : answers) {
        done(std::move(r));
    }
    if (again != 0) {
        reserve(again);
    }
}

} // namespace plexus::protocol::kafka
