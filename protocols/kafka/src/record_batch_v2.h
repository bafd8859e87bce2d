// Kafka's RecordBatch v2 (magic 2), the only record format Produce v3+ and Fetch v4+ carry.
//
// Produce stores the client's batches as they came (ADR 0019): stage_record_batches() checks
// each one (CRC32C, header, records dense; compressed ones inflated once to check them) and
// hands them on as encoded_records of format "kafka.v2", still compressed. Fetch serves
// such stored batches back byte for byte. Readers that need messages get them from
// decode_record_batches() (the plugin registers it as the format's decoder): key ⇄
// message::key, value ⇄ body, headers ⇄ headers_ (bytes as strings), timestamp ⇄
// message::timestamp. Records stored as messages (published through another protocol) are
// encoded for Fetch by encode_record_batch(); see docs/protocols/kafka.md.
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

/// The name of the format stored Kafka batches have (sdk::encoded_records::format).
inline constexpr std::string_view kafka_v2_format_name = "kafka.v2";

/// A Produce partition's batches, checked and ready to append as they are.
struct staged_records
{
    error_code error = error_code::none;
    std::string detail; ///< what was wrong, for the log
    /// The batches other than transaction markers, with an offset slot for each one's
    /// baseOffset; count 0 when there are none.
    sdk::encoded_records encoded;
    /// The idempotent producer of the first batch (-1 when it has none) and the sequence
    /// number of its first record.
    std::int64_t producer_id = -1;
    std::int16_t producer_epoch = -1;
    std::int32_t base_sequence = -1;
};

/// Checks every batch in a Produce partition's `records` bytes without decoding its records.
/// A batch that asks for the broker's time (LogAppendTime) or has none gets `now` as its max
/// timestamp, under a new CRC, as a Kafka broker writes it.
staged_records stage_record_batches(std::string_view bytes, sdk::timestamp_ms now);

/// The messages of every batch in `bytes`, stored ones included. Records whose batch asks
/// for the broker's time (LogAppendTime) get its max timestamp, those of a batch without
/// times `now`; `routing_key` is set on each
/// message (the topic, so AMQP consumers see where it was produced).
decoded_records decode_record_batches(std::string_view bytes, sdk::timestamp_ms now, std::string_view routing_key);

/// The producer fields of each stored batch in `bytes` (its header only), for rebuilding an
/// idempotent producer's state from what a partition holds.
struct stored_batch_header
{
    std::int64_t base_offset = 0;
    std::int64_t producer_id = -1;
    std::int16_t producer_epoch = -1;
    std::int32_t base_sequence = -1;
    std::int32_t count = 0;
};
struct stored_batch_headers
{
    error_code error = error_code::none;
    std::string detail;
    std::vector<stored_batch_header> batches;
};
stored_batch_headers headers_of_record_batches(std::string_view bytes);

/// What compaction reads of stored batches (ADR 0020): each record's key, whether its value
/// is null (a tombstone) and its timestamp, in order.
struct record_keys
{
    error_code error = error_code::none;
    std::string detail;
    std::vector<sdk::record_format::record_key> keys;
};
record_keys keys_of_record_batches(std::string_view bytes, sdk::timestamp_ms now);

/// The records of stored batches (the first at offset `base`) that `keep` marks, as batches
/// of dense records, one per run of kept records of a batch, compressed with that batch's
/// codec unless it makes them no smaller. Records are kept byte for byte but for their offset
/// delta.
struct retained_batch
{
    std::int64_t first_offset = 0;
    std::uint32_t count = 0;
    sdk::timestamp_ms max_timestamp{ 0 };
    std::string bytes;
};
struct retained_records
{
    error_code error = error_code::none;
    std::string detail;
    std::vector<retained_batch> batches;
};
retained_records retain_records(std::string_view bytes,
                                std::int64_t base,
                                const std::vector<bool>& keep,
                                sdk::timestamp_ms now);

/// One uncompressed batch holding `batch` (dense offsets from batch.base_offset); empty for an
/// empty batch.
std::string encode_record_batch(const sdk::record_batch& batch);

} // namespace plexus::protocol::kafka
