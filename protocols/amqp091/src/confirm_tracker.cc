#include "confirm_tracker.h"

namespace plexus::protocol::amqp091 {

std::uint64_t confirm_tracker::next()
{
    _outcomes.emplace_back();
    return _next++;
}

void confirm_tracker::settle(std::uint64_t seq, bool ok)
{
    if (seq < _first || seq - _first >= _outcomes.size()) {
        return; // not ours (already confirmed, or from before a reset)
    }
    _outcomes[seq - _first] = ok;
}

std::vector<confirm_tracker::confirm> confirm_tracker::drain()
{
    std::vector<confirm> out;
    while (!_outcomes.empty() && _outcomes.front().has_value()) {
        const bool ok = *_outcomes.front();
        std::uint64_t last = _first;
        std::size_t run = 0;
        while (run < _outcomes.size() && _outcomes[run].has_value() && *_outcomes[run] == ok) {
            last = _first + run;
            ++run;
        }
        out.push_back({ last, run > 1, ok });
        _outcomes.erase(_outcomes.begin(), _outcomes.begin() + static_cast<std::ptrdiff_t>(run));
        _first += run;
    }
    return out;
}

} // namespace plexus::protocol::amqp091
