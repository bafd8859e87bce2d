#include "delivery_ledger.h"

#include <algorithm>

namespace plexus::protocol::amqp091 {

void delivery_ledger::add(entry e)
{
    _entries.push_back(std::move(e));
}

std::vector<delivery_ledger::entry> delivery_ledger::take(std::uint64_t tag, bool multiple)
{
    std::vector<entry> out;
    if (multiple) {
        auto end = tag == 0
                     ? _entries.end()
                     : std::upper_bound(_entries.begin(), _entries.end(), tag, [](std::uint64_t t, const entry& e) {
                           return t < e.tag;
                       });
        out.assign(std::make_move_iterator(_entries.begin()), std::make_move_iterator(end));
        _entries.erase(_entries.begin(), end);
        return out;
    }
    auto it = std::lower_bound(
      _entries.begin(), _entries.end(), tag, [](const entry& e, std::uint64_t t) { return e.tag < t; });
    if (it != _entries.end() && it->tag == tag) {
        out.push_back(std::move(*it));
        _entries.erase(it);
    }
    return out;
}

std::vector<delivery_ledger::entry> delivery_ledger::take_all()
{
    std::vector<entry> out(std::make_move_iterator(_entries.begin()), std::make_move_iterator(_entries.end()));
    _entries.clear();
    return out;
}

void delivery_ledger::put_back(std::vector<entry> entries)
{
    for (auto& e : entries) {
        auto at = std::lower_bound(
          _entries.begin(), _entries.end(), e.tag, [](const entry& x, std::uint64_t t) { return x.tag < t; });
        _entries.insert(at, std::move(e));
    }
}

} // namespace plexus::protocol::amqp091
