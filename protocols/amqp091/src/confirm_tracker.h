// Publisher confirms of one channel (confirm.select): publishes are numbered 1, 2, … in the
// order they arrive; the kernel completes them, possibly out of order; confirms go out in
// order, each contiguous run of acks (or nacks) collapsed into one basic.ack (or basic.nack)
// with multiple set, as RabbitMQ does.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

namespace plexus::protocol::amqp091 {

class confirm_tracker
{
  public:
    struct confirm
    {
        std::uint64_t tag; ///< the highest sequence number it confirms
        bool multiple;     ///< also every earlier one not confirmed yet
        bool ack;          ///< false: basic.nack
        bool operator==(const confirm&) const = default;
    };

    /// The sequence number of the next publish.
    std::uint64_t next();
    /// The outcome of publish `seq` (true: it reached the level it asked for).
    void settle(std::uint64_t seq, bool ok);
    /// The confirms that can go out now, in order; they are forgotten here.
    std::vector<confirm> drain();
    /// Publishes numbered and not confirmed yet.
    std::size_t pending() const noexcept { return _outcomes.size(); }

  private:
    std::uint64_t _next = 1;
    std::uint64_t _first = 1; // sequence number of _outcomes.front()
    std::deque<std::optional<bool>> _outcomes;
};

} // namespace plexus::protocol::amqp091
