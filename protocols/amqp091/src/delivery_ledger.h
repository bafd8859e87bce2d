// The deliveries of one channel that wait for an ack: the channel's delivery tags (1, 2, …
// across every consumer and basic.get of the channel) against where each came from, so that
// basic.ack / nack / reject reach the right subscription (or, for basic.get, the queue) with
// the kernel's own tag.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

namespace plexus::protocol::amqp091 {

class consumer;

class delivery_ledger
{
  public:
    struct entry
    {
        std::uint64_t tag = 0;          ///< the channel's delivery tag
        std::shared_ptr<consumer> from; ///< null for basic.get
        std::uint64_t kernel_tag = 0;
        std::string queue; ///< basic.get only
    };

    /// Tags must increase.
    void add(entry e);
    /// Removes and returns what `tag` names: that delivery, or with `multiple` every one up
    /// to it (all of them for tag 0). Empty when it names nothing outstanding.
    std::vector<entry> take(std::uint64_t tag, bool multiple);
    std::vector<entry> take_all();
    /// Returns taken entries (a rolled-back transaction's acks) to their places.
    void put_back(std::vector<entry> entries);
    std::size_t size() const noexcept { return _entries.size(); }

  private:
    std::deque<entry> _entries; // in tag order
};

} // namespace plexus::protocol::amqp091
