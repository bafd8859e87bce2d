#include "frame.h"

#include <fmt/format.h>

#include <array>

namespace plexus::protocol::mqtt {

frame_step next_packet(sdk::buffer_chain& in, std::uint32_t max_packet_size)
{
    std::array<std::byte, 5> header{};
    const std::size_t n = in.copy_out(0, header);
    if (n < 2) {
        return std::monostate{};
    }
    std::uint32_t remaining = 0;
    std::size_t header_size = 0;
    for (std::size_t i = 1; i < 5; ++i) {
        if (i >= n) {
            return std::monostate{}; // the length is still arriving
        }
        const auto b = static_cast<std::uint8_t>(header[i]);
        remaining |= static_cast<std::uint32_t>(b & 0x7f) << (7 * (i - 1));
        if ((b & 0x80) == 0) {
            header_size = i + 1;
            break;
        }
    }
    if (header_size == 0) {
        return decode_error{ reason_code::malformed_packet, "remaining length longer than four bytes" };
    }
    const std::size_t total = header_size + remaining;
    if (total > max_packet_size) {
        return decode_error{ reason_code::packet_too_large,
                             fmt::format(
                               "packet of {} bytes exceeds the maximum packet size {}", total, max_packet_size) };
    }
    if (in.size() < total) {
        return std::monostate{};
    }
    raw_packet p;
    p.first_byte = static_cast<std::uint8_t>(header[0]);
    p.body = in.share(header_size, remaining);
    p.wire_size = total;
    in.trim_front(total);
    return p;
}

} // namespace plexus::protocol::mqtt
