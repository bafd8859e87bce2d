// STOMP frames from bytes: whole frames however the stream is cut, partial ones wait, every
// malformed input is an error naming what was wrong.
#include "frame_parser.h"

#include <catch2/catch.hpp>

#include <string>

using namespace plexus::protocol::stomp;
using plexus::sdk::buffer_chain;
using namespace std::string_literals;

namespace {

buffer_chain chain_of(const std::string& s)
{
    return buffer_chain::copy_of(s);
}

frame frame_of(parse_step s)
{
    if (auto* e = std::get_if<frame_error>(&s)) {
        FAIL("unexpected error: " << e->message << ": " << e->detail);
    }
    REQUIRE(std::holds_alternative<frame>(s));
    return std::get<frame>(std::move(s));
}

frame_error error_of(parse_step s)
{
    REQUIRE(std::holds_alternative<frame_error>(s));
    return std::get<frame_error>(std::move(s));
}

bool waits(const parse_step& s)
{
    return std::holds_alternative<std::monostate>(s);
}

/// Feeds `bytes` through a parser in pieces of `step` bytes; returns every frame it cut.
std::vector<frame> frames_in_pieces(const std::string& bytes, std::size_t step, version v = version::v1_2)
{
    frame_parser p;
    p.set_version(v);
    buffer_chain in;
    std::vector<frame> out;
    for (std::size_t i = 0; i < bytes.size(); i += step) {
        in.append(plexus::sdk::bytes::copy_of(bytes.substr(i, step)));
        while (true) {
            auto s = p.next(in);
            if (waits(s)) {
                break;
            }
            out.push_back(frame_of(std::move(s)));
        }
    }
    CHECK(in.empty());
    return out;
}

} // namespace

TEST_CASE("a frame is read with its command, headers and body", "[stomp][codec]")
{
    frame_parser p;
    auto in = chain_of("SEND\ndestination:/queue/a\ncontent-type:text/plain\n\nhello\0"s);
    auto f = frame_of(p.next(in));
    CHECK(f.cmd == command::send);
    REQUIRE(f.headers.size() == 2);
    CHECK(*f.header("destination") == "/queue/a");
    CHECK(*f.header("content-type") == "text/plain");
    CHECK(f.header("receipt") == nullptr);
    CHECK(f.body.to_string() == "hello");
    CHECK(in.empty());
    CHECK(waits(p.next(in)));
}

TEST_CASE("frames cut anywhere, even byte by byte, come out whole and in order", "[stomp][codec]")
{
    const std::string bytes = "SEND\r\ndestination:/queue/a\r\n\r\none\0\n\n"s +
                              "SEND\ndestination:/queue/b\ncontent-length:5\n\nt\0w\0o\0"s + "\n"s +
                              "DISCONNECT\nreceipt:77\n\n\0"s;
    for (std::size_t step : { 1, 2, 3, 7, 1000 }) {
        INFO("pieces of " << step);
        auto frames = frames_in_pieces(bytes, step);
        REQUIRE(frames.size() == 3);
        CHECK(frames[0].body.to_string() == "one");
        CHECK(*frames[0].header("destination") == "/queue/a");
        CHECK(frames[1].body.to_string() == "t\0w\0o"s);
        CHECK(frames[2].cmd == command::disconnect);
        CHECK(*frames[2].header("receipt") == "77");
    }
}

TEST_CASE("a body of content-length octets may hold NULs and is shared, not copied", "[stomp][codec]")
{
    frame_parser p;
    const std::string body = "\0\x01\xff\0tail"s;
    buffer_chain in = chain_of("SEND\ndestination:/queue/bin\ncontent-length:" + std::to_string(body.size()) + "\n\n");
    in.append(plexus::sdk::bytes::copy_of(body + "\0"s));
    auto f = frame_of(p.next(in));
    CHECK(f.body.to_string() == body);
    CHECK(f.body.fragment_count() == 1);
    CHECK(in.empty());
}

TEST_CASE("an empty body with content-length 0", "[stomp][codec]")
{
    frame_parser p;
    auto in = chain_of("SEND\ndestination:/queue/a\ncontent-length:0\n\n\0"s);
    CHECK(frame_of(p.next(in)).body.empty());
}

TEST_CASE("heart-beat EOLs between frames are consumed", "[stomp][codec]")
{
    frame_parser p;
    auto in = chain_of("\n\r\n\n");
    CHECK(waits(p.next(in)));
    CHECK(in.empty());
    in = chain_of("\r");
    CHECK(waits(p.next(in))); // half a CR LF waits
    CHECK(in.size() == 1);
    in.append(plexus::sdk::bytes::copy_of("\nBEGIN\ntransaction:t\n\n\0"s));
    CHECK(frame_of(p.next(in)).cmd == command::begin);
}

TEST_CASE("repeated headers are all kept and the first one wins", "[stomp][codec]")
{
    frame_parser p;
    auto in = chain_of("SEND\ndestination:/queue/first\ndestination:/queue/second\nfoo:1\nfoo:2\n\n\0"s);
    auto f = frame_of(p.next(in));
    CHECK(f.headers.size() == 4);
    CHECK(*f.header("destination") == "/queue/first");
    CHECK(*f.header("foo") == "1");
}

TEST_CASE("the first content-length is the one that counts", "[stomp][codec]")
{
    frame_parser p;
    auto in = chain_of("SEND\ndestination:/q\ncontent-length:2\ncontent-length:9\n\nab\0"s);
    CHECK(frame_of(p.next(in)).body.to_string() == "ab");
}

TEST_CASE("1.1 and 1.2 unescape header names and values, 1.0 and CONNECT do not", "[stomp][codec]")
{
    const std::string send = "SEND\ndestination:/queue/a\nk\\cey:a\\nb\\\\c\\cd\n\n\0"s;
    for (auto v : { version::v1_1, version::v1_2 }) {
        frame_parser p;
        p.set_version(v);
        auto in = chain_of(send);
        auto f = frame_of(p.next(in));
        REQUIRE(f.header("k:ey") != nullptr);
        CHECK(*f.header("k:ey") == "a\nb\\c:d");
    }
    {
        frame_parser p; // 1.0 until CONNECTED says otherwise
        auto in = chain_of(send);
        auto f = frame_of(p.next(in));
        CHECK(*f.header("k\\cey") == "a\\nb\\\\c\\cd");
    }
    {
        frame_parser p;
        p.set_version(version::v1_2);
        auto in = chain_of("CONNECT\nlogin:a\\b\npasscode:x\\cy\n\n\0"s);
        auto f = frame_of(p.next(in));
        CHECK(*f.header("login") == "a\\b");
        CHECK(*f.header("passcode") == "x\\cy");
    }
}

TEST_CASE("a value keeps its colons and spaces", "[stomp][codec]")
{
    frame_parser p;
    p.set_version(version::v1_2);
    auto in = chain_of("SEND\ndestination:/queue/a\nurl: http://x:80 \n\n\0"s);
    CHECK(*frame_of(p.next(in)).header("url") == " http://x:80 ");
}

TEST_CASE("\\r is an escape in 1.2 only", "[stomp][codec]")
{
    const std::string send = "SEND\ndestination:/queue/a\nk:a\\rb\n\n\0"s;
    {
        frame_parser p;
        p.set_version(version::v1_2);
        auto in = chain_of(send);
        CHECK(*frame_of(p.next(in)).header("k") == "a\rb");
    }
    {
        frame_parser p;
        p.set_version(version::v1_1);
        auto in = chain_of(send);
        CHECK(error_of(p.next(in)).message == "Bad header escape");
    }
}

TEST_CASE("malformed frames are errors that say what was wrong", "[stomp][codec]")
{
    struct bad_case
    {
        std::string name;
        std::string bytes;
        std::string message;
    };
    const std::vector<bad_case> cases{
        { "unknown command", "FOO\n\n\0"s, "Unknown command" },
        { "lower-case command", "send\ndestination:/q\n\n\0"s, "Unknown command" },
        { "header line without a colon", "SEND\ndestination /queue/a\n\n\0"s, "Bad header line" },
        { "header with an empty name", "SEND\n:value\n\n\0"s, "Bad header line" },
        { "undefined escape", "SEND\ndestination:/queue/a\nk:a\\tb\n\n\0"s, "Bad header escape" },
        { "a lone backslash at the end of a value", "SEND\nk:ab\\\n\n\0"s, "Bad header escape" },
        { "content-length not a number", "SEND\ncontent-length:12a\n\nx\0"s, "Bad content-length" },
        { "content-length negative", "SEND\ncontent-length:-1\n\nx\0"s, "Bad content-length" },
        { "content-length empty", "SEND\ncontent-length:\n\nx\0"s, "Bad content-length" },
        { "body longer than content-length", "SEND\ncontent-length:2\n\nabc\0"s, "Content-length mismatch" },
        { "content-length over the limit", "SEND\ncontent-length:99999999999\n\n"s, "Frame too large" },
        { "NUL before the blank line", "SEND\ndestination:/queue/a\n\0"s, "Missing blank line" },
        { "NUL inside the command line", "SE\0ND\n\n"s, "Missing blank line" },
        { "CR without LF between frames", "\rSEND\n\n\0"s, "Bad EOL" },
    };
    for (const auto& c : cases) {
        INFO(c.name);
        frame_parser p;
        p.set_version(version::v1_2);
        auto in = chain_of(c.bytes);
        auto e = error_of(p.next(in));
        CHECK(e.message == c.message);
        CHECK_FALSE(e.detail.empty());
    }
}

TEST_CASE("size limits: headers, header count and bodies without content-length", "[stomp][codec]")
{
    parse_limits limits;
    limits.max_header_bytes = 64;
    limits.max_headers = 3;
    limits.max_body_bytes = 10;
    {
        frame_parser p(limits);
        auto in = chain_of("SEND\nk:" + std::string(100, 'x')); // no LF yet, already too long
        CHECK(error_of(p.next(in)).message == "Headers too large");
    }
    {
        frame_parser p(limits);
        auto in = chain_of("SEND\na:1\nb:2\nc:3\nd:4\n\n\0"s);
        CHECK(error_of(p.next(in)).message == "Too many headers");
    }
    {
        frame_parser p(limits);
        auto in = chain_of("SEND\n\n0123456789"s);
        CHECK(waits(p.next(in))); // exactly at the limit, the NUL may still come
        in.append(plexus::sdk::bytes::copy_of("X"));
        CHECK(error_of(p.next(in)).message == "Frame too large");
    }
    {
        frame_parser p(limits);
        auto in = chain_of("SEND\n\n0123456789\0"s);
        CHECK(frame_of(p.next(in)).body.size() == 10);
    }
    {
        frame_parser p(limits);
        auto in = chain_of("SEND\ncontent-length:11\n\n"s);
        CHECK(error_of(p.next(in)).message == "Frame too large");
    }
}

TEST_CASE("a partial frame waits and is not consumed", "[stomp][codec]")
{
    frame_parser p;
    const std::string partial = "SEND\ndestination:/queue/a\n\nhel";
    auto in = chain_of(partial);
    CHECK(waits(p.next(in)));
    CHECK(in.size() == partial.size());
    in.append(plexus::sdk::bytes::copy_of("lo\0"s));
    CHECK(frame_of(p.next(in)).body.to_string() == "hello");
}
