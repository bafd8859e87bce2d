// One cleaning of a compacted stream partition (ADR 0020): the newest record of each key in
// the log's cleanable part survives, older ones of the same key go, and so do tombstones that
// have been the newest of their key for longer than the stream keeps them. The survivors are
// copied at their offsets into a new log (append_at leaves the gaps), then everything after
// the cleanable part (the head) is copied as it is, until the copy has caught up with the
// source: then the caller swaps the two, on the same turn of the shard, so no append falls
// between. Records without a key are never dropped.
//
// Two passes over the cleanable part: the first learns each key's newest offset, the second
// copies. Encoded batches are read through their format (record_format::keys and retain), so
// the kernel never needs to know Kafka's bytes.
//
// Threading: runs on the partition's shard; the source log must outlive the pass (its
// partition holds both).
#pragma once

#include "kernel/src/stream/record_format_set.h"
#include "plexus/sdk/callback.h"
#include "plexus/sdk/storage.h"

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

namespace plexus::kernel {

struct compaction_plan
{
    sdk::log* source = nullptr;
    sdk::storage_engine* engine = nullptr;
    /// The new log's name, owner and segment size; its first offset is the source's start.
    sdk::log_spec target;
    /// Records below it may be cleaned; the rest is the head, copied as it is.
    sdk::offset clean_end{ 0 };
    /// A tombstone that is the newest of its key and older than this goes.
    sdk::timestamp_ms tombstone_horizon{ 0 };
    const record_format_set* formats = nullptr;
};

/// What a pass reports besides the new log.
struct compaction_outcome
{
    std::unique_ptr<sdk::log> log; ///< caught up with the source when done runs
    std::uint64_t records_kept = 0;
    std::uint64_t records_dropped = 0;
};

class log_compaction : public std::enable_shared_from_this<log_compaction>
{
  public:
    /// Starts a pass; `done` runs on the shard with the copy, or with why it stopped (the
    /// caller removes the half-made log).
    static std::shared_ptr<log_compaction> start(compaction_plan plan,
                                                 sdk::callback<void(sdk::result<compaction_outcome>)> done);
    /// Stops at the next completion (the partition is going away); `done` gets aborted.
    void cancel() noexcept { _cancelled = true; }

    explicit log_compaction(compaction_plan plan, sdk::callback<void(sdk::result<compaction_outcome>)> done);

  private:
    void read_keys(sdk::offset from);
    void learn_keys(const sdk::record_batch& batch);
    void copy(sdk::offset from);
    /// Opens the new log at `first`; false (and done) when the engine refuses.
    bool open_target(sdk::offset first);
    void next_step(void (log_compaction::*step)(sdk::offset), sdk::offset from);
    sdk::status copy_batch(sdk::record_batch batch);
    /// Which records of a batch survive (true: kept).
    sdk::result<std::vector<bool>> survivors(const sdk::record_batch& batch) const;
    void finish(sdk::result<compaction_outcome> r);

    compaction_plan _plan;
    sdk::callback<void(sdk::result<compaction_outcome>)> _done;
    std::unordered_map<std::string, sdk::offset> _newest; ///< key -> offset of its newest record
    compaction_outcome _outcome;
    std::uint64_t _head_reads = 0;
    bool _cancelled = false;
};

} // namespace plexus::kernel
