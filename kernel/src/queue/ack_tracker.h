// A queue cursor's acknowledgement state: a mark-delete offset (everything at or below it is
// settled) plus the settled offsets above it as coalesced ranges (Pulsar's markDeletePosition
// and individuallyDeletedMessages). The log below mark_delete()+1 can be trimmed.
// Owner shard only.
#pragma once

#include "plexus/sdk/strong_types.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace plexus::kernel {

class ack_tracker
{
  public:
    /// `start`: the first offset not yet settled (the log's start when the queue opens).
    explicit ack_tracker(sdk::offset start = sdk::offset{ 0 }) noexcept
      : _mark_delete(start - 1)
    {
    }

    /// Settles one offset (ack, or nack without requeue). Idempotent.
    void settle(sdk::offset o);
    /// Settles everything up to and including `o` (a cumulative commit).
    void settle_through(sdk::offset o);
    bool is_settled(sdk::offset o) const noexcept;
    /// Every offset <= mark_delete() is settled.
    sdk::offset mark_delete() const noexcept { return _mark_delete; }
    /// Settled ranges above mark_delete (for tests and metrics).
    std::size_t range_count() const noexcept { return _ranges.size(); }
    /// Changes with every settle that changed something (so a saver can skip clean state).
    std::uint64_t version() const noexcept { return _version; }

    /// The stored form: the mark and the ranges, so acks survive a restart.
    std::string encode() const;
    /// Reads encode()'s output; nullopt when it is malformed. `start` is the log's first
    /// offset now: everything below it is settled whatever was stored.
    static std::optional<ack_tracker> decode(std::string_view stored, sdk::offset start);

  private:
    void absorb_front();

    sdk::offset _mark_delete;
    std::map<std::int64_t, std::int64_t> _ranges; // first -> last, disjoint, non-adjacent
    std::uint64_t _version = 0;
};

} // namespace plexus::kernel
