#include "kernel/src/queue/ack_tracker.h"

#include "plexus/sdk/field_codec.h"

#include <algorithm>
#include <limits>

namespace plexus::kernel {

void ack_tracker::settle(sdk::offset o)
{
    const std::int64_t v = o();
    if (v <= _mark_delete()) {
        return;
    }
    ++_version; // at worst an already settled offset bumps it: a spare save
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
    ++_version;
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

std::string ack_tracker::encode() const
{
    std::string out(1, '\1'); // format version
    sdk::put_varint(out, sdk::zigzag(_mark_delete()));
    sdk::put_varint(out, _ranges.size());
    for (const auto& [first, last] : _ranges) {
        sdk::put_varint(out, sdk::zigzag(first));
        sdk::put_varint(out, static_cast<std::uint64_t>(last - first));
    }
    return out;
}

std::optional<ack_tracker> ack_tracker::decode(std::string_view stored, sdk::offset start)
{
    sdk::field_reader r(stored);
    if (r.u8() != 1) {
        return std::nullopt;
    }
    ack_tracker t(start);
    t.settle_through(sdk::offset(r.signed_varint()));
    const auto count = r.varint();
    if (!r.ok() || count > r.remaining()) {
        return std::nullopt;
    }
    std::int64_t previous_last = std::numeric_limits<std::int64_t>::min();
    for (std::uint64_t i = 0; i < count && r.ok(); ++i) {
        const std::int64_t first = r.signed_varint();
        const std::uint64_t span = r.varint();
        if (span >
              static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max() - std::max<std::int64_t>(first, 0)) ||
            (i > 0 && first <= previous_last + 1)) {
            return std::nullopt; // ranges are stored disjoint, apart and in order
        }
        const std::int64_t last = first + static_cast<std::int64_t>(span);
        previous_last = last;
        if (last <= t._mark_delete()) {
            continue; // below the log's start now: settled anyway
        }
        t._ranges.emplace(std::max(first, t._mark_delete() + 1), last);
    }
    if (!r.ok() || r.remaining() != 0) {
        return std::nullopt;
    }
    t.absorb_front();
    t._version = 0;
    return t;
}

} // namespace plexus::kernel
