#include "kernel/src/queue/ack_tracker.h"

namespace plexus::kernel {

void ack_tracker::settle(sdk::offset o)
{
    const std::int64_t v = o();
    if (v <= _mark_delete()) {
        return;
    }
    if (v == _mark_delete() + 1) {
        // The common case: in-order acks only move the mark.
        _mark_delete = o;
        absorb_front();
        return;
    }
    auto next = _ranges.upper_bound(v);
    if (next != _ranges.begin()) {
        auto prev = std::prev(next);
        if (prev->second >= v) {
            return; // already settled
        }
        if (prev->second + 1 == v) {
            prev->second = v;
            if (next != _ranges.end() && next->first == v + 1) {
                prev->second = next->second;
                _ranges.erase(next);
            }
            return;
        }
    }
    if (next != _ranges.end() && next->first == v + 1) {
        std::int64_t last = next->second;
        _ranges.erase(next);
        _ranges.emplace(v, last);
        return;
    }
    _ranges.emplace(v, v);
}

void ack_tracker::settle_through(sdk::offset o)
{
    if (o <= _mark_delete) {
        return;
    }
    _mark_delete = o;
    while (!_ranges.empty() && _ranges.begin()->second <= o()) {
        _ranges.erase(_ranges.begin());
    }
    if (!_ranges.empty() && _ranges.begin()->first <= o()) {
        auto last = _ranges.begin()->second;
        _ranges.erase(_ranges.begin());
        _ranges.emplace(o() + 1, last);
    }
    absorb_front();
}

bool ack_tracker::is_settled(sdk::offset o) const noexcept
{
    if (o <= _mark_delete) {
        return true;
    }
    auto it = _ranges.upper_bound(o());
    if (it == _ranges.begin()) {
        return false;
    }
    return std::prev(it)->second >= o();
}

void ack_tracker::absorb_front()
{
    while (!_ranges.empty() && _ranges.begin()->first == _mark_delete() + 1) {
        _mark_delete = sdk::offset(_ranges.begin()->second);
        _ranges.erase(_ranges.begin());
    }
}

} // namespace plexus::kernel
