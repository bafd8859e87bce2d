// Cutting whole MQTT packets off the input: the fixed header's first byte, the remaining
// length (a variable byte integer of at most four bytes) and that many bytes of body. The
// body is shared with the input, not copied.
#pragma once

#include "packets.h"

#include <cstdint>
#include <variant>

namespace plexus::protocol::mqtt {

struct raw_packet
{
    std::uint8_t first_byte = 0; ///< packet type (high nibble) and flags (low nibble)
    sdk::buffer_chain body;      ///< variable header and payload
    std::size_t wire_size = 0;   ///< fixed header included

    packet_type type() const noexcept { return static_cast<packet_type>(first_byte >> 4); }
    std::uint8_t flags() const noexcept { return first_byte & 0x0f; }
};

/// Nothing yet (a partial packet stays in `in`), one packet (trimmed off `in`), or the error
/// to close with: a remaining length over four bytes (malformed) or a packet larger than
/// `max_packet_size` (packet too large), known from the fixed header alone.
using frame_step = std::variant<std::monostate, raw_packet, decode_error>;
frame_step next_packet(sdk::buffer_chain& in, std::uint32_t max_packet_size);

} // namespace plexus::protocol::mqtt
