// Reads wait only for a connection that streams small frames nobody answers: not for one
// that waits for the broker, sends rarely, or already sends in bulk.
#include "kernel/src/net/read_coalescer.h"

#include <catch2/catch.hpp>

using plexus::kernel::read_coalescer;
using namespace std::chrono_literals;

namespace {

constexpr auto delay = 200us;

/// `reads` reads of `n` bytes, each finding data `waited` after it started.
void stream(read_coalescer& c, int reads, std::size_t n, std::chrono::microseconds waited, bool answered = false)
{
    auto t = read_coalescer::clock::now();
    for (int i = 0; i < reads; ++i) {
        c.record(t, t + waited, n, answered);
        t += waited + 1us;
    }
}

} // namespace

TEST_CASE("a connection streaming small unanswered frames has its reads wait after a streak", "[unit][net]")
{
    read_coalescer c(delay);
    CHECK(c.wait(false) == 0us); // a new connection reads at once
    stream(c, read_coalescer::streak - 1, 100, 30us);
    CHECK(c.wait(false) == 0us); // not yet a streak
    stream(c, 1, 100, 30us);
    CHECK(c.wait(false) == delay);
    // Data already there after a wait keeps it going.
    stream(c, 10, 300, 0us);
    CHECK(c.wait(false) == delay);
}

TEST_CASE("a read that waited longer than the delay ends the streak", "[unit][net]")
{
    read_coalescer c(delay);
    stream(c, 10, 100, 30us);
    REQUIRE(c.wait(false) == delay);
    stream(c, 1, 100, 1000us); // 1 000 msg/s: a millisecond apart
    CHECK(c.wait(false) == 0us);
    stream(c, read_coalescer::streak - 1, 100, 30us);
    CHECK(c.wait(false) == 0us); // a new streak has to build up again
}

TEST_CASE("a connection the broker writes to is never made to wait", "[unit][net]")
{
    read_coalescer c(delay);
    stream(c, 10, 100, 30us);
    REQUIRE(c.wait(false) == delay);
    CHECK(c.wait(true) == 0us); // an answer went out since the last read: the client may wait for it
    stream(c, 1, 100, 30us, true);
    CHECK(c.wait(false) == 0us); // and the answered read ended the streak
    // request / response: every read answered, never a wait
    read_coalescer rpc(delay);
    stream(rpc, 100, 50, 10us, true);
    CHECK(rpc.wait(false) == 0us);
}

TEST_CASE("large reads and a zero delay never wait", "[unit][net]")
{
    read_coalescer bulk(delay);
    stream(bulk, 100, read_coalescer::small_read_bytes, 0us);
    CHECK(bulk.wait(false) == 0us); // data piles up already: one recv takes much
    read_coalescer off(0us);
    CHECK_FALSE(off.enabled());
    CHECK(bulk.enabled());
    stream(off, 100, 10, 0us);
    CHECK(off.wait(false) == 0us);
}
