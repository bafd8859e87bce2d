#include "frame.h"

#include <algorithm>

namespace plexus::protocol::websocket {
namespace {

constexpr std::uint8_t fin_bit = 0x80;
constexpr std::uint8_t reserved_bits = 0x70;
constexpr std::uint8_t opcode_bits = 0x0F;
constexpr std::uint8_t mask_bit = 0x80;
constexpr std::uint8_t length_bits = 0x7F;

bool known(std::uint8_t op) noexcept
{
    switch (static_cast<opcode>(op)) {
        case opcode::continuation:
        case opcode::text:
        case opcode::binary:
        case opcode::close:
        case opcode::ping:
        case opcode::pong:
            return true;
    }
    return false;
}

/// Codes a peer may put in a close frame (§7.4.1, §7.4.2): the defined ones except those
/// reserved for "no code" / "abnormal" / TLS, plus the registered and private ranges.
bool sendable(std::uint16_t code) noexcept
{
    if (code >= 3000 && code <= 4999) {
        return true;
    }
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011);
}

} // namespace

std::variant<need_more, frame_header, frame_error> decode_header(const sdk::buffer_chain& in, bool require_mask)
{
    std::array<std::byte, max_header_bytes> raw{};
    const std::size_t have = in.copy_out(0, raw);
    if (have < 2) {
        return need_more{};
    }
    const auto b0 = static_cast<std::uint8_t>(raw[0]);
    const auto b1 = static_cast<std::uint8_t>(raw[1]);
    frame_header h;
    h.fin = (b0 & fin_bit) != 0;
    h.masked = (b1 & mask_bit) != 0;
    if ((b0 & reserved_bits) != 0) {
        return frame_error{ close_code::protocol_error, "reserved bits set without an extension" };
    }
    const std::uint8_t op = b0 & opcode_bits;
    if (!known(op)) {
        return frame_error{ close_code::protocol_error, "unknown opcode" };
    }
    h.op = static_cast<opcode>(op);
    const std::uint8_t short_length = b1 & length_bits;
    std::size_t extended = 0;
    if (short_length == 126) {
        extended = 2;
    } else if (short_length == 127) {
        extended = 8;
    }
    h.header_bytes = 2 + extended + (h.masked ? 4 : 0);
    if (is_control(h.op) && (!h.fin || short_length > max_control_payload)) {
        return frame_error{ close_code::protocol_error,
                            h.fin ? "control frame longer than 125 bytes" : "fragmented control frame" };
    }
    if (require_mask && !h.masked) {
        return frame_error{ close_code::protocol_error, "client frame not masked" };
    }
    if (have < h.header_bytes) {
        return need_more{};
    }
    if (extended == 0) {
        h.length = short_length;
    } else {
        for (std::size_t i = 0; i < extended; ++i) {
            h.length = (h.length << 8) | static_cast<std::uint8_t>(raw[2 + i]);
        }
        // §5.2: the minimal number of bytes MUST be used, and the 64-bit form has its most
        // significant bit clear.
        if ((extended == 2 && h.length < 126) || (extended == 8 && h.length <= 0xFFFF)) {
            return frame_error{ close_code::protocol_error, "payload length not in its shortest form" };
        }
        if (extended == 8 && (h.length >> 63) != 0) {
            return frame_error{ close_code::protocol_error, "payload length over 2^63" };
        }
    }
    if (h.masked) {
        std::copy_n(raw.begin() + 2 + static_cast<std::ptrdiff_t>(extended), 4, h.mask.begin());
    }
    return h;
}

sdk::bytes encode_header(opcode op, bool fin, std::uint64_t length)
{
    std::array<std::byte, 10> raw{};
    raw[0] = static_cast<std::byte>((fin ? fin_bit : 0) | static_cast<std::uint8_t>(op));
    std::size_t n = 2;
    if (length < 126) {
        raw[1] = static_cast<std::byte>(length);
    } else if (length <= 0xFFFF) {
        raw[1] = std::byte{ 126 };
        raw[2] = static_cast<std::byte>(length >> 8);
        raw[3] = static_cast<std::byte>(length);
        n = 4;
    } else {
        raw[1] = std::byte{ 127 };
        for (int i = 0; i < 8; ++i) {
            raw[2 + i] = static_cast<std::byte>(length >> (56 - 8 * i));
        }
        n = 10;
    }
    return sdk::bytes::copy_of(std::span<const std::byte>(raw.data(), n));
}

sdk::buffer_chain control_frame(opcode op, std::string_view payload)
{
    payload = payload.substr(0, max_control_payload);
    sdk::buffer_chain out(encode_header(op, true, payload.size()));
    out.append(sdk::bytes::copy_of(payload));
    return out;
}

sdk::buffer_chain close_frame(std::uint16_t code, std::string_view reason)
{
    std::size_t keep = std::min(reason.size(), max_control_payload - 2);
    // Never cut inside a UTF-8 sequence: back up over continuation bytes (10xxxxxx).
    if (keep < reason.size()) {
        while (keep > 0 && (static_cast<std::uint8_t>(reason[keep]) & 0xC0) == 0x80) {
            --keep;
        }
    }
    std::string payload;
    payload.reserve(2 + keep);
    payload.push_back(static_cast<char>(code >> 8));
    payload.push_back(static_cast<char>(code & 0xFF));
    payload.append(reason.substr(0, keep));
    return control_frame(opcode::close, payload);
}

void unmask(std::span<std::byte> data, const std::array<std::byte, 4>& mask, std::uint64_t offset) noexcept
{
    for (std::size_t i = 0; i < data.size(); ++i) {
        data[i] ^= mask[(offset + i) % 4];
    }
}

std::variant<std::uint16_t, frame_error> check_close_payload(std::string_view payload)
{
    if (payload.empty()) {
        return close_code::normal;
    }
    if (payload.size() == 1) {
        return frame_error{ close_code::protocol_error, "close payload of one byte" };
    }
    const auto code =
      static_cast<std::uint16_t>((static_cast<std::uint8_t>(payload[0]) << 8) | static_cast<std::uint8_t>(payload[1]));
    if (!sendable(code)) {
        return frame_error{ close_code::protocol_error, "close code a peer may not send" };
    }
    return code;
}

} // namespace plexus::protocol::websocket
