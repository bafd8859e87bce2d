// The unit of the file engine's segments: a frame holding one appended record batch (or a
// marker), checked by CRC32C.
//
// Layout (little-endian), 32 bytes of header then the payload:
//   0  u32 crc32c of bytes [4, length)
//   4  u32 length of the whole frame, header included
//   8  i64 base offset (records) / the log's new start (start marker)
//  16  i64 max timestamp of the records (0 for a marker)
//  24  u32 record count
//  28  u8  kind
//  29  u8  format version (1)
//  30  u16 reserved, 0
// A start marker records a truncate_prefix() in the segment being written, so that recovery
// after a crash does not bring acked or expired records back. An encoded frame holds one
// batch in a protocol's own form (ADR 0019): its payload is a u8 format-name length, the
// name, then the batch's bytes with their offset slots set; the CRC covers it as any payload.
#pragma once

#include "plexus/sdk/bytes.h"
#include "plexus/sdk/message.h"
#include "plexus/sdk/strong_types.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace plexus::storage::file {

constexpr std::size_t frame_header_size = 32;
/// Frames above this are refused on append and treated as damage on recovery.
constexpr std::uint32_t max_frame_bytes = 256u << 20;

enum class frame_kind : std::uint8_t
{
    records = 1,
    start_marker = 2,
    encoded = 3,
};

/// Whether a frame of this kind holds records (and offsets): records or encoded.
constexpr bool holds_records(frame_kind k) noexcept
{
    return k == frame_kind::records || k == frame_kind::encoded;
}

struct frame_header
{
    std::uint32_t crc = 0;
    std::uint32_t length = 0;
    std::int64_t base_offset = 0;
    std::int64_t max_timestamp = 0;
    std::uint32_t count = 0;
    frame_kind kind = frame_kind::records;

    sdk::offset end_offset() const noexcept { return sdk::offset{ base_offset + count }; }
};

/// Starts a frame at the end of `buf`: reserves its header. Returns where the frame begins.
std::size_t begin_frame(std::string& buf);
/// Fills in the header of the frame that begins at `frame_start` and runs to the end of
/// `buf`, computing its length and CRC.
void finish_frame(std::string& buf,
                  std::size_t frame_start,
                  frame_kind kind,
                  std::int64_t base_offset,
                  std::int64_t max_timestamp,
                  std::uint32_t count);

/// The header at the start of `bytes` when it is plausible (known kind and version, a length
/// that fits `max_frame_bytes`); does not check the CRC.
std::optional<frame_header> parse_frame_header(std::span<const std::byte> bytes) noexcept;
/// Appends the payload of an encoded frame for `e` stored at `base` to `buf`.
void append_encoded_payload(std::string& buf, const sdk::encoded_records& e, sdk::offset base);
/// The batch an encoded frame (exactly header.length bytes, CRC checked) holds; its bytes
/// share `frame`. nullopt when the payload is malformed.
std::optional<sdk::encoded_records> parse_encoded_frame(const frame_header& header, const sdk::bytes& frame);

/// True when `frame` (exactly header.length bytes) matches its CRC.
bool frame_crc_ok(const frame_header& header, std::span<const std::byte> frame) noexcept;

} // namespace plexus::storage::file
