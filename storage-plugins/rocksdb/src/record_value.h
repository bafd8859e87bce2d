// The value stored under each `logs` key: a fixed 25-byte header, then the message exactly as
// the shared record codec (record_codec.h) encodes it, length prefix included, so the record
// parts of consecutive values concatenate into what decode_records() reads.
//
//   u8  format (1)
//   i64 timestamp        read by offset_for_timestamp() without decoding the message
//   u64 begin_bytes      the log's cumulative size_bytes() before this record
//   u64 size_bytes       this message's size_bytes()
//
// The two byte counts give size_bytes() of any offset range from two reads (reopen and
// truncate_prefix need no scan) and let a read respect its byte budget before it decodes.
// Fixed-width little-endian: the header is parsed, never compared.
#pragma once

#include "plexus/sdk/message.h"

#include <rocksdb/slice.h>

#include <cstdint>
#include <optional>
#include <string>

namespace plexus::storage::rocks {

struct record_header
{
    sdk::timestamp_ms timestamp{ 0 };
    std::uint64_t begin_bytes = 0;
    std::uint64_t size_bytes = 0;

    std::uint64_t end_bytes() const noexcept { return begin_bytes + size_bytes; }
};

constexpr std::size_t record_header_size = 25;

/// Replaces `out` with the stored value of `m`, `begin_bytes` into its log.
void encode_record_value(const sdk::message& m, std::uint64_t begin_bytes, std::string& out);

/// nullopt when `value` is too short or of an unknown format.
std::optional<record_header> decode_record_header(const rocksdb::Slice& value) noexcept;

/// The encoded message after the header (a length-prefixed record).
inline rocksdb::Slice record_part(const rocksdb::Slice& value) noexcept
{
    return { value.data() + record_header_size, value.size() - record_header_size };
}

} // namespace plexus::storage::rocks
