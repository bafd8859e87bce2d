#include "stomp_frame.h"

#include <catch2/catch.hpp>

#include <cstring>
#include <string>
#include <vector>

using namespace plexus::bench;

namespace {

/// A string literal with its NUL bytes, without the terminating one.
template<std::size_t N>
std::string raw(const char (&s)[N])
{
    return std::string(s, N - 1);
}

std::span<const std::byte> bytes(const std::string& s)
{
    return { reinterpret_cast<const std::byte*>(s.data()), s.size() };
}

std::string text(std::span<const std::byte> b)
{
    return { reinterpret_cast<const char*>(b.data()), b.size() };
}

/// Feeds `wire` to `r` in pieces of `step` bytes, collecting every frame as text.
std::vector<std::string> read_all(stomp_reader& r, const std::string& wire, std::size_t step)
{
    std::vector<std::string> frames;
    stomp_frame f;
    for (std::size_t at = 0; at < wire.size(); at += step) {
        auto n = std::min(step, wire.size() - at);
        auto room = r.room(n);
        std::memcpy(room.data(), wire.data() + at, n);
        r.commit(n);
        while (r.next(f) == stomp_reader::status::frame) {
            std::string t(f.command);
            for (const auto& [k, v] : f.headers) {
                t += "|" + std::string(k) + "=" + std::string(v);
            }
            frames.push_back(t + "|" + text(f.body));
        }
    }
    return frames;
}

} // namespace

TEST_CASE("stomp frames: a SEND carries content-length and a binary body", "[plexus-bench][stomp]")
{
    std::string body("ab\0cd", 5);
    std::string out;
    write_stomp_frame(out, "SEND", { { "destination", "/queue/q" } }, bytes(body));
    CHECK(out == raw("SEND\ndestination:/queue/q\ncontent-length:5\n\nab\0cd\0"));

    out.clear();
    write_stomp_frame(out, "DISCONNECT", {});
    CHECK(out == raw("DISCONNECT\n\n\0"));
}

TEST_CASE("stomp frames: server frames read back whole however the bytes arrive", "[plexus-bench][stomp]")
{
    std::string wire = raw("CONNECTED\nversion:1.2\n\n\0") + "\n\n" + // heart-beats between frames
                       raw("MESSAGE\r\ncontent-length:3\r\nack:a\\c1\r\n\r\nx\0y\0") +
                       raw("RECEIPT\nreceipt-id:7\nreceipt-id:8\n\n\0");
    for (std::size_t step : { std::size_t(1), std::size_t(7), wire.size() }) {
        stomp_reader r;
        auto frames = read_all(r, wire, step);
        INFO("step " << step);
        REQUIRE(frames.size() == 3);
        CHECK(frames[0] == "CONNECTED|version=1.2|");
        CHECK(frames[1] == raw("MESSAGE|content-length=3|ack=a\\c1|x\0y"));
        CHECK(frames[2] == "RECEIPT|receipt-id=7|receipt-id=8|");
    }
    stomp_reader r;
    stomp_frame f;
    auto room = r.room(wire.size());
    std::memcpy(room.data(), wire.data(), wire.size());
    r.commit(wire.size());
    REQUIRE(r.next(f) == stomp_reader::status::frame);
    REQUIRE(r.next(f) == stomp_reader::status::frame);
    REQUIRE(r.next(f) == stomp_reader::status::frame);
    CHECK(f.header("receipt-id") == "7"); // the first of repeated headers wins
    CHECK(f.header("absent").empty());
    CHECK(r.next(f) == stomp_reader::status::incomplete);
}

TEST_CASE("stomp frames: a broken stream is malformed, not awaited", "[plexus-bench][stomp]")
{
    auto status_of = [](const std::string& wire) {
        stomp_reader r;
        auto room = r.room(wire.size());
        std::memcpy(room.data(), wire.data(), wire.size());
        r.commit(wire.size());
        stomp_frame f;
        return r.next(f);
    };
    CHECK(status_of(raw("MESSAGE\ncontent-length:2\n\nabc\0")) == stomp_reader::status::malformed);
    CHECK(status_of(raw("MESSAGE\ncontent-length:x\n\n\0")) == stomp_reader::status::malformed);
    CHECK(status_of(raw("MESSAGE\nno colon\n\n\0")) == stomp_reader::status::malformed);
    CHECK(status_of(raw("MESSAGE\ncontent-length:5\n\nab")) == stomp_reader::status::incomplete);
}
