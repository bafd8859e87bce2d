// Idempotent producers: the producer ids InitProducerId hands out and, per producer and topic
// partition, the sequence numbers of the last batches appended, so that a retried batch is
// acknowledged with its first offset instead of being appended twice, and a gap in the
// sequence is refused with OUT_OF_ORDER_SEQUENCE_NUMBER.
//
// Once attach()ed to the broker's plugin store the state survives a restart
// (producer_state_codec.h): ids are reserved there in blocks before they are handed out, so
// none is ever handed out twice, and each partition's state is written after every append
// that changed it, in the order of the changes. A partition state not written for a day
// (Kafka's producer.id.expiration.ms) is dropped when the store is loaded. A Produce is
// answered once its state is durable. The records and the state are not one atomic write, so
// a kill between them loses a state the producer was not answered for; the first batch after
// a start of a producer from an earlier run is therefore checked against what the partition
// holds (verify, recovered()), where its batches carry their producer id and sequence.
//
// Threading: a producer reconnects to any shard, so this is shared by a listener's sessions
// and takes a lock (docs/adr/0012); one lookup per produced batch of an idempotent producer.
// The lock is held to hand a write to the store (so the store sees them in order), never
// across a kernel call.
#pragma once

#include "producer_ids.h"
#include "producer_state_codec.h"

#include "plexus/sdk/callback.h"
#include "plexus/sdk/log.h"
#include "plexus/sdk/result.h"
#include "plexus/sdk/storage.h"

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <tuple>
#include <vector>

namespace plexus::protocol::kafka {

class producer_sequences
{
  public:
    /// `first_id` seeds the ids while the store holds none (the listener passes the clock, so
    /// ids differ from those of a broker that kept no state).
    explicit producer_sequences(std::int64_t first_id);

    /// Backs the state with `store` for `vhost`'s topics: the first call loads what the store
    /// holds (dropping what expired before `now_ms`, logging what it cannot decode); later
    /// calls do nothing.
    void attach(sdk::kv_store& store, std::string vhost, sdk::logger& log, std::int64_t now_ms);

    /// A producer id never handed out before, or why none can be. `done` runs before this
    /// returns, or later on a thread of the store's (callers post to their shard).
    void new_producer_id(sdk::callback<void(sdk::result<std::int64_t>)> done);

    struct batch_key
    {
        std::int64_t producer_id = -1;
        std::int16_t epoch = 0;
        std::int32_t first_sequence = 0;
        std::int32_t count = 0;
    };
    enum class verdict : std::uint8_t
    {
        append,       ///< new and in order: append it, then call appended()
        duplicate,    ///< already appended: answer with `offset`
        in_flight,    ///< a retry of a batch whose append has not completed
        out_of_order, ///< a gap in the sequence
        fenced,       ///< an older epoch of the producer
        /// The producer's id is from an earlier run and its batches on this partition have not
        /// been looked for in the log since this start: a state write lost in a crash would let
        /// a retried batch in twice. The caller reads the partition from `offset` (-1: from
        /// the oldest batch a producer may still retry) and calls recovered(), then check()
        /// again.
        verify,
    };
    struct check_result
    {
        verdict v = verdict::append;
        std::int64_t offset = -1;
    };
    check_result check(const std::string& topic, std::int32_t partition, const batch_key& batch);
    /// The append of a batch check() admitted finished: at `offset`, or (offset < 0) failed,
    /// in which case the batch may be sent again. `now_ms` stamps the stored state. `stored`
    /// runs once the state that records it is durable (or could not be stored: logged), on any
    /// thread; the Produce is answered then, so that a producer told of its batch finds the
    /// sequence after a crash instead of OUT_OF_ORDER_SEQUENCE_NUMBER for its next batch.
    void appended(const std::string& topic,
                  std::int32_t partition,
                  const batch_key& batch,
                  std::int64_t offset,
                  std::int64_t now_ms = 0,
                  sdk::callback<void()> stored = {});

    /// A stored batch of the producer (from its header), found by the caller's read.
    struct found_batch
    {
        std::int16_t epoch = 0;
        std::int32_t first_sequence = 0;
        std::int32_t count = 0;
        std::int64_t offset = 0;
    };
    /// What a read after verify found of `producer_id` on the partition, in offset order:
    /// the state takes each as appended (and stores itself), and the partition counts as
    /// looked at for that producer.
    void recovered(const std::string& topic,
                   std::int32_t partition,
                   std::int64_t producer_id,
                   const std::vector<found_batch>& found,
                   std::int64_t now_ms);

  private:
    using key = std::tuple<std::int64_t, std::string, std::int32_t>;

    /// Hands the state of `k` (nullopt: deleted) to the store; called with the lock held.
    void store_locked(const key& k, const stored_partition_state* state, sdk::callback<void()> stored = {});

    std::mutex _mutex;
    std::map<key, stored_partition_state> _states;
    std::shared_ptr<producer_ids> _ids; ///< shared with the store's pending completions
    /// Ids below this were reserved by an earlier run: their partitions are looked at once.
    std::int64_t _earlier_ids_below = 0;
    std::set<key> _looked_at;
    sdk::kv_store* _store = nullptr;
    sdk::logger* _log = nullptr;
    std::string _vhost;
};

} // namespace plexus::protocol::kafka
