// Kafka's RecordBatch v2 (magic 2), the only record format Produce v3+ and Fetch v4+ carry,
// to and from the kernel's messages: key ⇄ message::key, value ⇄ body, headers ⇄ headers_
// (bytes as strings), timestamp ⇄ message::timestamp.
//
// Produce decodes the client's batches (CRC32C checked, compressed ones inflated) into one
// message per record; Fetch encodes what the kernel returns as one uncompressed batch. Stored
// batches are not kept in Kafka's format (the SDK's record_batch is a vector of messages), so
// this re-encodes both ways; see docs/protocols/kafka.md.
#pragma once

#include "error_code.h"
#include "plexus/sdk/message.h"

#include <string>
#include <string_view>
#include <vector>

namespace plexus::protocol::kafka {

struct decoded_records
{
    error_code error = error_code::none;
    std::string detail; ///< what was wrong, for the log
    std::vector<sdk::message_ptr> records;
    /// The idempotent producer of the first batch (-1 when it has none) and the sequence
    /// number of its first record.
    std::int64_t producer_id = -1;
    std::int16_t producer_epoch = -1;
    std::int32_t base_sequence = -1;
};

/// Every batch in a Produce partition's `records` bytes. Records whose batch asks for the
/// broker's time (LogAppendTime) or carries none get `now`; `routing_key` is set on each
/// message (the topic, so AMQP consumers see where it was produced).
decoded_records decode_record_batches(std::string_view bytes, sdk::timestamp_ms now, std::string_view routing_key);

/// One uncompressed batch holding `batch` (dense offsets from batch.base_offset); empty for an
/// empty batch.
std::string encode_record_batch(const sdk::record_batch& batch);

} // namespace plexus::protocol::kafka
