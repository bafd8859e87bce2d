#include "payload.h"

#include <catch2/catch.hpp>

#include <vector>

using namespace plexus::bench;

namespace {

std::vector<std::byte> copy(std::span<const std::byte> s)
{
    return { s.begin(), s.end() };
}

} // namespace

TEST_CASE("payload: a stamped body reads back with its header", "[plexus-bench][payload]")
{
    for (std::size_t size : { 32, 33, 39, 40, 100, 4096, 100001 }) {
        payload_writer w(size, 0xabcdef01, 7);
        auto body = copy(w.stamp(123456789012ull, 987654321ull));
        REQUIRE(body.size() == size);
        payload_header h;
        REQUIRE(read_payload(body, 0xabcdef01, h) == payload_check::ok);
        CHECK(h.run_id == 0xabcdef01);
        CHECK(h.producer == 7);
        CHECK(h.sequence == 123456789012ull);
        CHECK(h.sent_ns == 987654321ull);
    }
}

TEST_CASE("payload: any changed byte fails the check", "[plexus-bench][payload]")
{
    payload_writer w(100, 1, 2);
    auto good = copy(w.stamp(5, 6));
    payload_header h;
    for (std::size_t i = 0; i < good.size(); ++i) {
        for (int bit : { 0, 7 }) {
            auto bad = good;
            bad[i] ^= std::byte(1 << bit);
            INFO("byte " << i << " bit " << bit);
            CHECK(read_payload(bad, 1, h) != payload_check::ok);
        }
    }
    auto truncated = good;
    truncated.pop_back();
    CHECK(read_payload(truncated, 1, h) != payload_check::ok);
    auto longer = good;
    longer.push_back(std::byte{ 0 });
    CHECK(read_payload(longer, 1, h) != payload_check::ok);
}

TEST_CASE("payload: short, foreign and garbage bodies are told apart", "[plexus-bench][payload]")
{
    payload_header h;
    std::vector<std::byte> tiny(31);
    CHECK(read_payload(tiny, 1, h) == payload_check::too_short);
    std::vector<std::byte> zeros(100);
    CHECK(read_payload(zeros, 1, h) == payload_check::bad_magic);
    payload_writer other(100, 99, 0);
    CHECK(read_payload(other.stamp(0, 0), 1, h) == payload_check::foreign_run);
}

TEST_CASE("payload: stamping again rewrites only the header and checksum", "[plexus-bench][payload]")
{
    payload_writer w(64, 3, 4);
    auto first = copy(w.stamp(1, 10));
    auto second = copy(w.stamp(2, 20));
    CHECK(std::equal(first.begin() + payload_header_size, first.end(), second.begin() + payload_header_size));
    // Two producers' bodies differ in their filler, so a body spliced from both fails.
    payload_writer other(64, 3, 5);
    auto theirs = copy(other.stamp(1, 10));
    CHECK(!std::equal(first.begin() + payload_header_size, first.end(), theirs.begin() + payload_header_size));
    auto spliced = first;
    std::copy(theirs.begin() + payload_header_size, theirs.end(), spliced.begin() + payload_header_size);
    payload_header h;
    CHECK(read_payload(spliced, 3, h) == payload_check::bad_checksum);
}

TEST_CASE("payload: the monotonic clock moves forward", "[plexus-bench][payload]")
{
    auto a = monotonic_ns();
    auto b = monotonic_ns();
    CHECK(b >= a);
    CHECK(a > 0);
}
