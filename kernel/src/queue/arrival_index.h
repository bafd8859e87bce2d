// When each message of a queue arrived, for TTLs: a sparse, offset-ordered list with one entry
// per append whose clock reading differs from the previous one, so its size follows the
// publishing time span (at most one entry per millisecond), not the message count.
//
// Records do not carry their arrival (the timestamp a message has is its publisher's), and a
// queue's offsets only grow with time, so "the last entry at or below an offset" is when that
// offset arrived. Offsets below the first entry (recovered after a restart) arrived, as far as
// the queue knows, when it opened.
#pragma once

#include "plexus/sdk/strong_types.h"

#include <cstdint>
#include <deque>

namespace plexus::kernel {

class arrival_index
{
  public:
    explicit arrival_index(std::int64_t opened_ms) noexcept
      : _opened_ms(opened_ms)
    {
    }

    /// Offsets from `first` on arrived at `now_ms` (until the next record()).
    void record(sdk::offset first, std::int64_t now_ms);
    /// When `o` arrived.
    std::int64_t arrival(sdk::offset o) const noexcept;
    /// Nothing below `o` will be asked for again.
    void forget_below(sdk::offset o);
    std::size_t size() const noexcept { return _entries.size(); }

  private:
    struct entry
    {
        std::int64_t first;
        std::int64_t ms;
    };
    std::int64_t _opened_ms;
    std::deque<entry> _entries;
};

} // namespace plexus::kernel
