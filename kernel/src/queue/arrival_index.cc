#include "kernel/src/queue/arrival_index.h"

#include <algorithm>

namespace plexus::kernel {

void arrival_index::record(sdk::offset first, std::int64_t now_ms)
{
    if (!_entries.empty() && _entries.back().ms >= now_ms) {
        return; // same millisecond (or a clock step back): the previous entry covers it
    }
    _entries.push_back({ first(), now_ms });
}

std::int64_t arrival_index::arrival(sdk::offset o) const noexcept
{
    auto after = std::upper_bound(
      _entries.begin(), _entries.end(), o(), [](std::int64_t v, const entry& e) { return v < e.first; });
    if (after == _entries.begin()) {
        return _opened_ms;
    }
    return std::prev(after)->ms;
}

void arrival_index::forget_below(sdk::offset o)
{
    // Keep the entry that covers `o` itself.
    while (_entries.size() > 1 && _entries[1].first <= o()) {
        _entries.pop_front();
    }
}

} // namespace plexus::kernel
