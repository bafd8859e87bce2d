// Frame headers both ways (the three length encodings at their edges), masking, the frame
// decoder's streaming and fragmentation rules, and the errors a header alone shows.
#include "client_frames.h"
#include "frame_decoder.h"

#include <catch2/catch.hpp>

using namespace plexus::protocol::websocket;
using namespace plexus::protocol::websocket::testing;
namespace sdk = plexus::sdk;

namespace {

sdk::buffer_chain chain(const std::string& s)
{
    return sdk::buffer_chain::copy_of(s);
}

/// Runs the decoder over `wire` fed in pieces of `step` bytes; returns the data it passed on
/// and the control frames as "<op>:<payload>" lines.
struct decode_run
{
    std::string data;
    std::vector<std::string> controls;
    std::optional<frame_error> error;
};

decode_run decode_all(const std::string& wire, std::size_t step = 0, std::uint64_t max = 1u << 20)
{
    frame_decoder d(max);
    decode_run r;
    sdk::buffer_chain in;
    std::vector<decoded> out;
    if (step == 0) {
        step = wire.size() == 0 ? 1 : wire.size();
    }
    for (std::size_t pos = 0; pos < wire.size() && !r.error; pos += step) {
        in.append(sdk::bytes::copy_of(std::string_view(wire).substr(pos, step)));
        out.clear();
        r.error = d.decode(in, out);
        for (auto& e : out) {
            if (auto* c = std::get_if<sdk::buffer_chain>(&e)) {
                r.data += c->to_string();
            } else {
                auto& ctl = std::get<decoded_control>(e);
                r.controls.push_back(std::to_string(static_cast<int>(ctl.op)) + ":" + ctl.payload);
            }
        }
    }
    return r;
}

} // namespace

TEST_CASE("lengths 125, 126, 65535 and 65536 take 7, 16 and 64 bits on the wire", "[websocket][frame]")
{
    for (std::uint64_t n : { 0ull, 125ull, 126ull, 65535ull, 65536ull }) {
        INFO(n);
        auto h = encode_header(opcode::binary, true, n);
        const std::size_t expected = n < 126 ? 2 : (n <= 65535 ? 4 : 10);
        REQUIRE(h.size() == expected);
        CHECK(static_cast<std::uint8_t>(h.data()[0]) == 0x82);
        const std::string payload(n, 'x');
        std::string wire(h.as_string_view());
        wire += payload;
        auto f = read_server_frame(wire);
        CHECK(f.fin);
        CHECK_FALSE(f.masked);
        CHECK(f.payload.size() == n);
        CHECK(wire.empty());

        // And the client side: masked frames of each size decode to their payload.
        std::string p(n, '\0');
        for (std::size_t i = 0; i < n; ++i) {
            p[i] = static_cast<char>(i * 7);
        }
        auto in = chain(binary(p));
        auto d = decode_header(in, true);
        REQUIRE(std::holds_alternative<frame_header>(d));
        const auto& fh = std::get<frame_header>(d);
        CHECK(fh.length == n);
        CHECK(fh.header_bytes == expected + 4);
        CHECK(fh.masked);
        CHECK(decode_all(binary(p), 1000).data == p);
    }
}

TEST_CASE("a masked payload unmasks with its offset kept across pieces", "[websocket][frame]")
{
    const std::string payload = "Hello, WebSocket: masked bytes cross read boundaries";
    for (std::size_t step : { 1u, 3u, 7u, 64u }) {
        INFO(step);
        auto r = decode_all(text(payload), step);
        CHECK_FALSE(r.error);
        CHECK(r.data == payload);
    }
    // RFC 6455 §5.7's example: a masked "Hello".
    const std::string hello = "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58";
    CHECK(decode_all(hello).data == "Hello");
}

TEST_CASE("fragments pass on in order, control frames may come between them", "[websocket][frame]")
{
    const std::string wire = client_frame(0x01, "Hel") +        // text, no FIN
                             client_frame(fin | 0x9, "ping!") + // ping in the middle
                             client_frame(0x00, "lo, ") +       // continuation
                             client_frame(fin | 0x0, "world") + // the last fragment
                             binary(std::string("\x00\x01\x02", 3));
    for (std::size_t step : { 1u, 5u, 1000u }) {
        INFO(step);
        auto r = decode_all(wire, step);
        CHECK_FALSE(r.error);
        CHECK(r.data == std::string("Hello, world\x00\x01\x02", 15));
        REQUIRE(r.controls.size() == 1);
        CHECK(r.controls[0] == "9:ping!");
    }
}

TEST_CASE("fragmentation errors close with 1002", "[websocket][frame]")
{
    auto stray = decode_all(client_frame(fin | 0x0, "x"));
    REQUIRE(stray.error);
    CHECK(stray.error->code == 1002);
    auto interleaved = decode_all(client_frame(0x01, "a") + text("b"));
    REQUIRE(interleaved.error);
    CHECK(interleaved.error->code == 1002);
    CHECK(interleaved.data == "a"); // what came before the error is still passed on
}

TEST_CASE("header errors: unmasked, reserved bits, unknown opcodes, bad control frames, long forms",
          "[websocket][frame]")
{
    auto code = [](const std::string& wire) {
        auto r = decode_all(wire);
        return r.error ? static_cast<int>(r.error->code) : 0;
    };
    CHECK(code(client_frame(fin | 0x2, "x", false)) == 1002);                     // a client must mask
    CHECK(code(client_frame(fin | 0x40 | 0x2, "x")) == 1002);                     // RSV1 without extension
    CHECK(code(client_frame(fin | 0x10 | 0x1, "x")) == 1002);                     // RSV3
    CHECK(code(client_frame(fin | 0x3, "x")) == 1002);                            // reserved data opcode
    CHECK(code(client_frame(fin | 0xB, "x")) == 1002);                            // reserved control opcode
    CHECK(code(client_frame(0x9, "x")) == 1002);                                  // fragmented ping
    CHECK(code(client_frame(fin | 0x9, std::string(126, 'p'))) == 1002);          // control over 125
    CHECK(code(client_frame(fin | 0x9, std::string(125, 'p'))) == 0);             // 125 is fine
    CHECK(code(client_frame(fin | 0x2, "short", true, 2)) == 1002);               // 16-bit form for 5
    CHECK(code(client_frame(fin | 0x2, std::string(300, 'x'), true, 8)) == 1002); // 64-bit for 300
    const std::string huge("\x82\xff\x80\x00\x00\x00\x00\x00\x00\x00\x01\x02\x03\x04", 14);
    CHECK(code(huge) == 1002); // 64-bit length with its top bit set
}

TEST_CASE("a message over the limit closes with 1009, counted across its fragments", "[websocket][frame]")
{
    auto one = decode_all(binary(std::string(101, 'x')), 0, 100);
    REQUIRE(one.error);
    CHECK(one.error->code == 1009);
    CHECK(one.data.empty()); // refused from the header, before any payload
    auto fragmented =
      decode_all(client_frame(0x02, std::string(60, 'x')) + client_frame(fin, std::string(41, 'y')), 0, 100);
    REQUIRE(fragmented.error);
    CHECK(fragmented.error->code == 1009);
    auto exact = decode_all(client_frame(0x02, std::string(60, 'x')) + client_frame(fin, std::string(40, 'y')) +
                              binary(std::string(100, 'z')),
                            0,
                            100);
    CHECK_FALSE(exact.error); // each message on its own is within the limit
    CHECK(exact.data.size() == 200);
}

TEST_CASE("partial headers and control frames wait for their bytes", "[websocket][frame]")
{
    frame_decoder d(1000);
    std::vector<decoded> out;
    const auto ping = client_frame(fin | 0x9, "abc");
    sdk::buffer_chain in = chain(ping.substr(0, 7));
    CHECK_FALSE(d.decode(in, out));
    CHECK(out.empty());
    CHECK(in.size() == 7); // a control frame is taken whole
    in.append(sdk::bytes::copy_of(ping.substr(7)));
    CHECK_FALSE(d.decode(in, out));
    REQUIRE(out.size() == 1);
    CHECK(std::get<decoded_control>(out[0]).payload == "abc");
    CHECK(in.empty());
}

TEST_CASE("close payloads: empty, a code, a code with a reason, or refused", "[websocket][frame]")
{
    CHECK(std::get<std::uint16_t>(check_close_payload("")) == 1000);
    CHECK(std::get<std::uint16_t>(check_close_payload(std::string("\x03\xe8", 2))) == 1000);
    CHECK(std::get<std::uint16_t>(check_close_payload(std::string("\x0f\xa0", 2) + "bye")) == 4000);
    CHECK(std::holds_alternative<frame_error>(check_close_payload("x")));
    CHECK(std::holds_alternative<frame_error>(check_close_payload(std::string("\x03\xed", 2)))); // 1005
    CHECK(std::holds_alternative<frame_error>(check_close_payload(std::string("\x03\xee", 2)))); // 1006
    CHECK(std::holds_alternative<frame_error>(check_close_payload(std::string("\x00\x64", 2)))); // 100
}

TEST_CASE("server close frames carry the code and a reason cut to fit", "[websocket][frame]")
{
    std::string wire = close_frame(1002, "bad").to_string();
    auto f = read_server_frame(wire);
    CHECK(f.op == 0x8);
    CHECK(close_status(f) == 1002);
    CHECK(f.payload.substr(2) == "bad");
    // 200 bytes of two-byte characters: cut to at most 123, never inside a character.
    std::string long_reason;
    for (int i = 0; i < 100; ++i) {
        long_reason += "\xc3\xa9";
    }
    wire = close_frame(1011, long_reason).to_string();
    f = read_server_frame(wire);
    CHECK(f.payload.size() <= 125);
    CHECK(f.payload.size() % 2 == 0); // 2 code bytes + whole characters
}
