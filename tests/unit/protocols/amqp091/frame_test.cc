// Frames from bytes: whole frames are cut off the input however it was fragmented, partial
// frames wait, and framing errors (wrong end octet, oversized, unknown type) are frame-error.
#include "frame.h"

#include <catch2/catch.hpp>

using namespace plexus::protocol::amqp091;
using plexus::sdk::buffer_chain;

namespace {

std::string raw_frame(std::uint8_t type, std::uint16_t channel, const std::string& payload, char end = '\xce')
{
    std::string out;
    out.push_back(static_cast<char>(type));
    out.push_back(static_cast<char>(channel >> 8));
    out.push_back(static_cast<char>(channel & 0xff));
    auto n = static_cast<std::uint32_t>(payload.size());
    for (int s = 24; s >= 0; s -= 8) {
        out.push_back(static_cast<char>((n >> s) & 0xff));
    }
    return out + payload + end;
}

amqp_error error_of(const frame_step& s)
{
    REQUIRE(std::holds_alternative<amqp_error>(s));
    return std::get<amqp_error>(s);
}

} // namespace

TEST_CASE("whole frames are cut off the front, partial ones wait", "[amqp091][codec]")
{
    std::string bytes = raw_frame(1, 3, "hello") + raw_frame(8, 0, "");
    buffer_chain in;
    // Byte by byte: nothing until the first frame's end octet is in.
    for (std::size_t i = 0; i + 1 < raw_frame(1, 3, "hello").size(); ++i) {
        in.append(plexus::sdk::bytes::copy_of(bytes.substr(i, 1)));
        CHECK(std::holds_alternative<std::monostate>(next_frame(in, frame_min_size)));
    }
    in.append(plexus::sdk::bytes::copy_of(bytes.substr(raw_frame(1, 3, "hello").size() - 1)));
    auto first = next_frame(in, frame_min_size);
    REQUIRE(std::holds_alternative<frame>(first));
    CHECK(std::get<frame>(first).type == frame_type::method);
    CHECK(std::get<frame>(first).channel == 3);
    CHECK(std::get<frame>(first).payload.to_string() == "hello");
    auto second = next_frame(in, frame_min_size);
    REQUIRE(std::holds_alternative<frame>(second));
    CHECK(std::get<frame>(second).type == frame_type::heartbeat);
    CHECK(in.empty());
    CHECK(std::holds_alternative<std::monostate>(next_frame(in, frame_min_size)));
}

TEST_CASE("a wrong end octet is a frame error", "[amqp091][codec][malformed]")
{
    auto in = buffer_chain::copy_of(raw_frame(1, 1, "abc", '\x00'));
    const auto e = error_of(next_frame(in, frame_min_size));
    CHECK(e.code == reply_code::frame_error);
    CHECK(e.text.find("end octet 0x00") != std::string::npos);
}

TEST_CASE("an oversized frame is refused from its header alone", "[amqp091][codec][malformed]")
{
    // Only the 7 header bytes of a 1 MiB frame have arrived.
    std::string header = raw_frame(3, 1, std::string(1 << 20, 'x')).substr(0, frame_header_bytes);
    auto in = buffer_chain::copy_of(header);
    const auto e = error_of(next_frame(in, 131072));
    CHECK(e.code == reply_code::frame_error);
    CHECK(e.text.find("exceeds frame-max 131072") != std::string::npos);

    // Exactly frame-max is fine.
    auto fits = buffer_chain::copy_of(raw_frame(3, 1, std::string(frame_min_size - frame_overhead, 'y')));
    CHECK(std::holds_alternative<frame>(next_frame(fits, frame_min_size)));
    auto over = buffer_chain::copy_of(raw_frame(3, 1, std::string(frame_min_size - frame_overhead + 1, 'y')));
    CHECK(error_of(next_frame(over, frame_min_size)).code == reply_code::frame_error);
}

TEST_CASE("an unknown frame type is a frame error", "[amqp091][codec][malformed]")
{
    auto in = buffer_chain::copy_of(raw_frame(4, 0, ""));
    CHECK(error_of(next_frame(in, frame_min_size)).code == reply_code::frame_error);
}

TEST_CASE("a body payload shares the input instead of copying it", "[amqp091][codec]")
{
    std::string bytes = raw_frame(3, 9, std::string(100, 'b'));
    auto slab = plexus::sdk::bytes::copy_of(bytes);
    buffer_chain in(slab);
    auto step = next_frame(in, frame_min_size);
    REQUIRE(std::holds_alternative<frame>(step));
    const auto& payload = std::get<frame>(step).payload;
    REQUIRE(payload.fragment_count() == 1);
    payload.for_each_fragment(
      [&](const plexus::sdk::bytes& b) { CHECK(b.data() == slab.data() + frame_header_bytes); });
    std::string scratch;
    CHECK(contiguous(payload, scratch) == std::string(100, 'b'));
    CHECK(scratch.empty());
}

TEST_CASE("frames are written with their size and end octet", "[amqp091][codec]")
{
    std::string out;
    append_heartbeat(out);
    CHECK(out == std::string("\x08\x00\x00\x00\x00\x00\x00\xce", 8));
    out.clear();
    auto at = begin_frame(out, frame_type::body, 0x0102);
    out += "xyz";
    end_frame(out, at);
    CHECK(out == raw_frame(3, 0x0102, "xyz"));
}
