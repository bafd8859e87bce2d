// Idempotent producers: the producer ids InitProducerId hands out and, per producer and topic
// partition, the sequence numbers of the last batches appended, so that a retried batch is
// acknowledged with its first offset instead of being appended twice, and a gap in the
// sequence is refused with OUT_OF_ORDER_SEQUENCE_NUMBER.
//
// The state is in memory: after a restart a producer's first batch per partition is accepted
// whatever its sequence (as Kafka accepts one whose state has expired). Threading: a producer
// reconnects to any shard, so this is shared by a listener's sessions and takes a lock
// (docs/adr/0012); one lookup per produced batch of an idempotent producer.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

namespace plexus::protocol::kafka {

class producer_sequences
{
  public:
    /// `first_id` seeds the ids (the listener passes the clock, so ids differ across restarts).
    explicit producer_sequences(std::int64_t first_id) noexcept
      : _next_id(first_id)
    {
    }

    std::int64_t new_producer_id();

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
    };
    struct check_result
    {
        verdict v = verdict::append;
        std::int64_t offset = -1;
    };
    check_result check(const std::string& topic, std::int32_t partition, const batch_key& batch);
    /// The append of a batch check() admitted finished: at `offset`, or (offset < 0) failed,
    /// in which case the batch may be sent again.
    void appended(const std::string& topic, std::int32_t partition, const batch_key& batch, std::int64_t offset);

  private:
    struct recent_batch
    {
        std::int32_t first_sequence;
        std::int32_t count;
        std::int64_t offset; ///< -1 while the append is in flight
    };
    struct partition_state
    {
        std::int16_t epoch = 0;
        std::int32_t next_sequence = 0;
        std::deque<recent_batch> recent; ///< the last few, as Kafka keeps five
    };
    using key = std::tuple<std::int64_t, std::string, std::int32_t>;

    std::mutex _mutex;
    std::int64_t _next_id;
    std::map<key, partition_state> _states;
};

} // namespace plexus::protocol::kafka
