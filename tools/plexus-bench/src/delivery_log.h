// What one consumer received from one destination: per producer, how many times each sequence
// number arrived, plus the messages that could not be attributed (corrupted). Logs of the
// consumers that share a destination are merged, then checked against what each producer
// sent: a sequence never seen is lost, one seen twice or more is duplicated.
#pragma once

#include "histogram.h"
#include "payload.h"

#include <cstdint>
#include <span>
#include <vector>

namespace plexus::bench {

struct delivery_counts
{
    std::uint64_t expected = 0;   // what the producers sent, summed over destinations
    std::uint64_t received = 0;   // deliveries, every copy counted
    std::uint64_t unique = 0;     // distinct (producer, sequence) per destination
    std::uint64_t lost = 0;       // sent, never received
    std::uint64_t duplicated = 0; // copies beyond the first
    std::uint64_t corrupted = 0;  // bad checksum, bad magic, too short, another run, unknown producer or sequence
    std::uint64_t redelivered = 0;

    delivery_counts& operator+=(const delivery_counts& o) noexcept;
};

class delivery_log
{
  public:
    explicit delivery_log(std::uint32_t run_id);

    /// Records one delivery received at `now_ns`; latency goes into `latency` when the body is
    /// whole. Returns false when the body was counted as corrupted.
    bool record(std::span<const std::byte> body, bool redelivered, std::uint64_t now_ns, histogram& latency);

    /// Adds another consumer's log of the same destination.
    void merge(const delivery_log& other);

    /// Checks the log against `sent[p]`, the number of messages producer p sent (sequences
    /// 0 .. sent[p]-1). Received sequences at or above it count as corrupted.
    delivery_counts check(std::span<const std::uint64_t> sent) const;

    std::uint64_t received() const noexcept { return _received; }

  private:
    std::uint32_t _run_id;
    std::vector<std::vector<std::uint8_t>> _seen; // [producer][sequence] -> copies, saturating at 255
    std::uint64_t _received = 0;
    std::uint64_t _corrupted = 0;
    std::uint64_t _redelivered = 0;
};

} // namespace plexus::bench
