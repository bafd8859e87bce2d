// AMQP 0-9-1 frames (spec §4.2.3): type octet, channel, 32-bit payload size, payload, end
// octet 0xCE. The decoder checks the announced size against frame-max as soon as the 7-byte
// header is in, so an oversized frame is refused before its body is buffered.
#pragma once

#include "amqp_error.h"
#include "plexus/sdk/buffer_chain.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace plexus::protocol::amqp091 {

enum class frame_type : std::uint8_t
{
    method = 1,
    header = 2,
    body = 3,
    heartbeat = 8,
};

inline constexpr std::uint8_t frame_end = 0xCE;
inline constexpr std::size_t frame_header_bytes = 7;
inline constexpr std::size_t frame_overhead = frame_header_bytes + 1;
/// Every peer accepts frames this large before tune-ok sets frame-max (spec §4.2.3).
inline constexpr std::uint32_t frame_min_size = 4096;

/// "AMQP" 0 0 9 1: what a client sends first, and what a server answers to a wrong header.
inline constexpr std::string_view protocol_header{ "AMQP\x00\x00\x09\x01", 8 };

struct frame
{
    frame_type type = frame_type::heartbeat;
    std::uint16_t channel = 0;
    sdk::buffer_chain payload; ///< shares the input's slabs
};

/// Nothing yet (a partial frame is buffered), a frame, or a framing error (501).
using frame_step = std::variant<std::monostate, frame, amqp_error>;

/// Cuts the next whole frame off the front of `in`. Frames larger than `frame_max` bytes
/// (header and end octet included) fail as soon as their header is readable.
frame_step next_frame(sdk::buffer_chain& in, std::uint32_t frame_max);

/// A contiguous view of `chain`: the fragment itself when there is only one, else a copy in
/// `scratch`. Method and header payloads are decoded from this.
std::string_view contiguous(const sdk::buffer_chain& chain, std::string& scratch);

/// Starts a frame in `out` (the size is patched by end_frame); returns where it starts.
std::size_t begin_frame(std::string& out, frame_type type, std::uint16_t channel);
void end_frame(std::string& out, std::size_t at);

void append_heartbeat(std::string& out);

} // namespace plexus::protocol::amqp091
