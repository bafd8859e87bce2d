#include "delivery_log.h"

#include <catch2/catch.hpp>

#include <vector>

using namespace plexus::bench;

namespace {

constexpr std::uint32_t run = 0x1234;

std::vector<std::byte> body(std::uint32_t producer, std::uint64_t seq, std::uint64_t sent_ns = 1000)
{
    payload_writer w(100, run, producer);
    auto s = w.stamp(seq, sent_ns);
    return { s.begin(), s.end() };
}

} // namespace

TEST_CASE("delivery_log: everything once is clean", "[plexus-bench][delivery_log]")
{
    delivery_log log(run);
    histogram lat;
    for (std::uint32_t p = 0; p < 3; ++p) {
        for (std::uint64_t s = 0; s < 1000; ++s) {
            REQUIRE(log.record(body(p, s, 1000), false, 1500 + s, lat));
        }
    }
    std::vector<std::uint64_t> sent{ 1000, 1000, 1000 };
    auto c = log.check(sent);
    CHECK(c.expected == 3000);
    CHECK(c.received == 3000);
    CHECK(c.unique == 3000);
    CHECK(c.lost == 0);
    CHECK(c.duplicated == 0);
    CHECK(c.corrupted == 0);
    CHECK(lat.count() == 3000);
    CHECK(lat.min() == 500);
    CHECK(lat.max() == 1499);
}

TEST_CASE("delivery_log: missing, repeated and garbled messages are counted", "[plexus-bench][delivery_log]")
{
    delivery_log log(run);
    histogram lat;
    for (std::uint64_t s = 0; s < 100; ++s) {
        if (s % 10 != 0) { // 10 lost
            log.record(body(0, s), false, 2000, lat);
        }
    }
    log.record(body(0, 5), true, 2000, lat);    // a duplicate, redelivered
    log.record(body(0, 5), false, 2000, lat);   // and another copy
    log.record(body(0, 500), false, 2000, lat); // a sequence producer 0 never sent
    log.record(body(1, 0), false, 2000, lat);   // a producer that does not exist
    auto bad = body(0, 1);
    bad[50] ^= std::byte{ 0xff };
    CHECK_FALSE(log.record(bad, false, 2000, lat));
    std::vector<std::byte> other_run;
    {
        payload_writer w(100, run + 1, 0);
        auto s = w.stamp(2, 0);
        other_run.assign(s.begin(), s.end());
    }
    CHECK_FALSE(log.record(other_run, false, 2000, lat));

    std::vector<std::uint64_t> sent{ 100 };
    auto c = log.check(sent);
    CHECK(c.expected == 100);
    CHECK(c.received == 90 + 2 + 1 + 1 + 1 + 1);
    CHECK(c.unique == 90);
    CHECK(c.lost == 10);
    CHECK(c.duplicated == 2);
    CHECK(c.corrupted == 4); // garbled, other run, beyond the sent range, unknown producer
    CHECK(c.redelivered == 1);
}

TEST_CASE("delivery_log: consumers of one queue merge, each fanout queue is checked alone",
          "[plexus-bench][delivery_log]")
{
    histogram lat;
    // Two competing consumers split one queue's messages between them.
    delivery_log a(run), b(run);
    for (std::uint64_t s = 0; s < 1000; ++s) {
        (s % 2 == 0 ? a : b).record(body(0, s), false, 2000, lat);
    }
    std::vector<std::uint64_t> sent{ 1000 };
    CHECK(a.check(sent).lost == 500); // alone, half is missing
    a.merge(b);
    auto c = a.check(sent);
    CHECK(c.lost == 0);
    CHECK(c.duplicated == 0);
    CHECK(c.unique == 1000);

    // The same message from both after merging is a duplicate.
    delivery_log x(run), y(run);
    x.record(body(0, 0), false, 1, lat);
    y.record(body(0, 0), false, 1, lat);
    x.merge(y);
    std::vector<std::uint64_t> one{ 1 };
    CHECK(x.check(one).duplicated == 1);

    // Totals over destinations add up.
    delivery_counts total;
    total += c;
    total += x.check(one);
    CHECK(total.expected == 1001);
    CHECK(total.duplicated == 1);
}

TEST_CASE("delivery_log: copies beyond 255 still count as duplicates", "[plexus-bench][delivery_log]")
{
    delivery_log log(run);
    histogram lat;
    for (int i = 0; i < 300; ++i) {
        log.record(body(0, 0), false, 1, lat);
    }
    std::vector<std::uint64_t> sent{ 1 };
    CHECK(log.check(sent).duplicated == 299);
}
