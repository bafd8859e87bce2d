// The stored form of a message, shared by the durable engines.
//
// A record is: a varint length, then the fields in a fixed order (little-endian varints,
// length-prefixed strings, one tagged value per header). The format has a version byte so a
// later change can be read side by side with this one. Decoding shares the body with the
// buffer it reads from (no copy), and refuses truncated or out-of-range input with corruption:
// stored bytes are checked by CRC before they get here, so a failure means a bug or a disk
// that lied, and is never served as a message.
#pragma once

#include "plexus/sdk/bytes.h"
#include "plexus/sdk/message.h"
#include "plexus/sdk/result.h"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace plexus::storage {

/// Appends the length-prefixed encoding of `m` to `out`.
void encode_record(const sdk::message& m, std::string& out);

/// Decodes `count` length-prefixed records from `slab` bytes [pos, end) into `out`.
/// Bodies are slices of `slab`.
sdk::status decode_records(const sdk::bytes& slab,
                           std::size_t pos,
                           std::size_t end,
                           std::size_t count,
                           std::vector<sdk::message_ptr>& out) noexcept;

/// Where one length-prefixed record lies, and its timestamp, read without decoding the rest.
struct record_extent
{
    std::size_t end = 0; ///< just past the record: where the next one begins
    sdk::timestamp_ms timestamp{ 0 };
};

/// The extent of the record that begins at `pos` in `data`; nullopt when it is truncated or of
/// an unknown format. Lets an engine skip records, or find one by timestamp, in a run of
/// encoded records without allocating messages for those it does not serve.
std::optional<record_extent> peek_record(std::string_view data, std::size_t pos) noexcept;

} // namespace plexus::storage
