#include "frame.h"

#include <array>

namespace plexus::protocol::amqp091 {

frame_step next_frame(sdk::buffer_chain& in, std::uint32_t frame_max)
{
    if (in.size() < frame_header_bytes) {
        return std::monostate{};
    }
    std::array<std::byte, frame_header_bytes> h{};
    in.copy_out(0, h);
    auto octet = [&](std::size_t i) { return static_cast<std::uint32_t>(h[i]); };
    const auto type = static_cast<std::uint8_t>(h[0]);
    const auto channel = static_cast<std::uint16_t>((octet(1) << 8) | octet(2));
    const std::uint32_t size = (octet(3) << 24) | (octet(4) << 16) | (octet(5) << 8) | octet(6);
    if (type != 1 && type != 2 && type != 3 && type != 8) {
        return amqp_error{ reply_code::frame_error, "unknown frame type " + std::to_string(type), 0, 0 };
    }
    if (frame_max != 0 && static_cast<std::uint64_t>(size) + frame_overhead > frame_max) {
        return amqp_error{ reply_code::frame_error,
                           "frame of " + std::to_string(static_cast<std::uint64_t>(size) + frame_overhead) +
                             " bytes on channel " + std::to_string(channel) + " exceeds frame-max " +
                             std::to_string(frame_max),
                           0,
                           0 };
    }
    const std::size_t total = frame_header_bytes + size + 1;
    if (in.size() < total) {
        return std::monostate{};
    }
    std::array<std::byte, 1> end{};
    in.copy_out(total - 1, end);
    if (static_cast<std::uint8_t>(end[0]) != frame_end) {
        static constexpr char hex[] = "0123456789abcdef";
        auto e = static_cast<std::uint8_t>(end[0]);
        return amqp_error{ reply_code::frame_error,
                           std::string("frame end octet 0x") + hex[e >> 4] + hex[e & 15] +
                             " (expected 0xce) on channel " + std::to_string(channel),
                           0,
                           0 };
    }
    frame f;
    f.type = static_cast<frame_type>(type);
    f.channel = channel;
    f.payload = in.share(frame_header_bytes, size);
    in.trim_front(total);
    return f;
}

std::string_view contiguous(const sdk::buffer_chain& chain, std::string& scratch)
{
    if (chain.fragment_count() == 1) {
        std::string_view view;
        chain.for_each_fragment([&](const sdk::bytes& b) { view = b.as_string_view(); });
        return view;
    }
    scratch = chain.to_string();
    return scratch;
}

std::size_t begin_frame(std::string& out, frame_type type, std::uint16_t channel)
{
    std::size_t at = out.size();
    out.push_back(static_cast<char>(type));
    out.push_back(static_cast<char>(channel >> 8));
    out.push_back(static_cast<char>(channel & 0xff));
    out.append(4, '\0');
    return at;
}

void end_frame(std::string& out, std::size_t at)
{
    auto size = static_cast<std::uint32_t>(out.size() - at - frame_header_bytes);
    for (int i = 0; i < 4; ++i) {
        out[at + 3 + static_cast<std::size_t>(i)] = static_cast<char>((size >> (24 - 8 * i)) & 0xff);
    }
    out.push_back(static_cast<char>(frame_end));
}

void append_heartbeat(std::string& out)
{
    end_frame(out, begin_frame(out, frame_type::heartbeat, 0));
}

} // namespace plexus::protocol::amqp091
