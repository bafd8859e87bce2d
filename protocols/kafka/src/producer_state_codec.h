// How idempotent producers' state is kept in the broker's plugin store (space "kafka"), so that
// it survives a restart: the producer ids reserved so far, and per producer, topic and
// partition the epoch, the next sequence and the last batches appended (producer_sequences.h).
//
// Keys, each part length-prefixed or a varint (field_codec.h), so no name makes two share one:
//   producer-ids/<vhost>                                  the first id not yet reserved
//   producer-seq/<vhost><producer id><topic><partition>   one partition's state
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

namespace plexus::protocol::kafka {

struct stored_batch
{
    std::int32_t first_sequence = 0;
    std::int32_t count = 0;
    std::int64_t offset = -1;
};

struct stored_partition_state
{
    std::int16_t epoch = 0;
    std::int32_t next_sequence = 0;
    std::int64_t updated_ms = 0; ///< when it was last written (for expiry)
    std::deque<stored_batch> recent;
};

struct producer_partition
{
    std::int64_t producer_id = -1;
    std::string topic;
    std::int32_t partition = 0;
};

std::string producer_ids_key(std::string_view vhost);
std::string encode_producer_id(std::int64_t next);
std::optional<std::int64_t> decode_producer_id(std::string_view value);

/// The prefix of every partition state key of `vhost`.
std::string producer_states_prefix(std::string_view vhost);
std::string producer_state_key(std::string_view vhost, const producer_partition& which);
/// The producer, topic and partition of a key, given what follows producer_states_prefix().
std::optional<producer_partition> decode_producer_state_key(std::string_view after_prefix);

std::string encode_partition_state(const stored_partition_state& state);
std::optional<stored_partition_state> decode_partition_state(std::string_view value);

} // namespace plexus::protocol::kafka
