// RFC 6455 framing (§5.2): the opcodes, the close codes the transport sends, a decoded frame
// header, and the few byte-level operations the decoder and the connection adapter need.
#pragma once

#include "plexus/sdk/buffer_chain.h"
#include "plexus/sdk/bytes.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>

namespace plexus::protocol::websocket {

enum class opcode : std::uint8_t
{
    continuation = 0x0,
    text = 0x1,
    binary = 0x2,
    close = 0x8,
    ping = 0x9,
    pong = 0xA,
};

constexpr bool is_control(opcode op) noexcept
{
    return (static_cast<std::uint8_t>(op) & 0x8) != 0;
}

/// Close status codes (§7.4.1) this transport sends.
namespace close_code {
constexpr std::uint16_t normal = 1000;
constexpr std::uint16_t going_away = 1001;
constexpr std::uint16_t protocol_error = 1002;
constexpr std::uint16_t policy_violation = 1008;
constexpr std::uint16_t too_big = 1009;
constexpr std::uint16_t internal_error = 1011;
} // namespace close_code

/// Control frames carry at most this much payload (§5.5).
constexpr std::size_t max_control_payload = 125;
/// The longest header: 2 bytes, an 8-byte length, a 4-byte mask.
constexpr std::size_t max_header_bytes = 14;

struct frame_header
{
    bool fin = true;
    opcode op = opcode::binary;
    bool masked = false;
    std::array<std::byte, 4> mask{};
    std::uint64_t length = 0;
    std::size_t header_bytes = 0; ///< how many bytes the header took on the wire
};

/// Why the transport closes: the close code and a short reason for the close frame.
struct frame_error
{
    std::uint16_t code = close_code::protocol_error;
    std::string reason;
};

/// More bytes are needed before the header can be decoded.
struct need_more
{};

/// Decodes the header at the front of `in` and checks what the header alone can show: the
/// reserved bits (no extension is negotiated), the opcode, control frames that are
/// fragmented or longer than 125 bytes, lengths not in their shortest encoding, and, when
/// `require_mask` (frames from a client), the mask bit.
std::variant<need_more, frame_header, frame_error> decode_header(const sdk::buffer_chain& in, bool require_mask);

/// The header of an unmasked (server) frame carrying `length` payload bytes.
sdk::bytes encode_header(opcode op, bool fin, std::uint64_t length);

/// A whole unmasked control frame; `payload` is cut to 125 bytes.
sdk::buffer_chain control_frame(opcode op, std::string_view payload);

/// A close frame with `code` and `reason` (cut to fit, at a UTF-8 character boundary).
sdk::buffer_chain close_frame(std::uint16_t code, std::string_view reason);

/// XORs `data` with the mask; `offset` is the position of data[0] in the frame's payload.
void unmask(std::span<std::byte> data, const std::array<std::byte, 4>& mask, std::uint64_t offset) noexcept;

/// Checks a close frame's payload (§5.5.1, §7.4): empty, or a code a peer may send plus a
/// reason. Returns the code to echo (1000 for an empty payload) or the error.
std::variant<std::uint16_t, frame_error> check_close_payload(std::string_view payload);

} // namespace plexus::protocol::websocket
