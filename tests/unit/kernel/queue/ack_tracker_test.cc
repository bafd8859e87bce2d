#include "kernel/src/queue/ack_tracker.h"

#include <catch2/catch.hpp>

using plexus::kernel::ack_tracker;
using plexus::sdk::offset;

TEST_CASE("in-order acks slide the mark-delete", "[unit][queue]")
{
    ack_tracker t;
    CHECK(t.mark_delete() == offset(-1));
    t.settle(offset(0));
    t.settle(offset(1));
    CHECK(t.mark_delete() == offset(1));
    CHECK(t.range_count() == 0);
}

TEST_CASE("out-of-order acks coalesce and are absorbed when the gap closes", "[unit][queue]")
{
    ack_tracker t;
    t.settle(offset(2));
    t.settle(offset(4));
    t.settle(offset(3));
    CHECK(t.range_count() == 1);
    CHECK(t.mark_delete() == offset(-1));
    CHECK(t.is_settled(offset(3)));
    CHECK_FALSE(t.is_settled(offset(0)));
    CHECK_FALSE(t.is_settled(offset(5)));
    t.settle(offset(1));
    CHECK(t.range_count() == 1);
    t.settle(offset(0));
    CHECK(t.mark_delete() == offset(4));
    CHECK(t.range_count() == 0);
}

TEST_CASE("settling twice is idempotent", "[unit][queue]")
{
    ack_tracker t(offset(10));
    CHECK(t.mark_delete() == offset(9));
    t.settle(offset(12));
    t.settle(offset(12));
    CHECK(t.range_count() == 1);
    t.settle(offset(5)); // below the start: ignored
    CHECK(t.mark_delete() == offset(9));
}

TEST_CASE("settle_through jumps and trims ranges below it", "[unit][queue]")
{
    ack_tracker t;
    t.settle(offset(3));
    t.settle(offset(7));
    t.settle(offset(8));
    t.settle(offset(10));
    t.settle_through(offset(7));
    CHECK(t.mark_delete() == offset(8)); // 8 was settled and adjacent
    CHECK(t.range_count() == 1);
    CHECK(t.is_settled(offset(10)));
    CHECK_FALSE(t.is_settled(offset(9)));
}

TEST_CASE("the stored acks read back, clipped to the log's start", "[unit][queue]")
{
    plexus::kernel::ack_tracker t(plexus::sdk::offset{ 10 });
    for (std::int64_t o : { 10, 11, 14, 15, 16, 20 }) {
        t.settle(plexus::sdk::offset{ o });
    }
    REQUIRE(t.mark_delete() == plexus::sdk::offset{ 11 });
    const auto stored = t.encode();

    auto same = plexus::kernel::ack_tracker::decode(stored, plexus::sdk::offset{ 10 });
    REQUIRE(same.has_value());
    CHECK(same->mark_delete() == plexus::sdk::offset{ 11 });
    for (std::int64_t o = 10; o <= 21; ++o) {
        const bool settled = o <= 11 || (o >= 14 && o <= 16) || o == 20;
        CHECK(same->is_settled(plexus::sdk::offset{ o }) == settled);
    }
    // The log was trimmed to 15 meanwhile: 15 and 16 join the mark, 20 stays a range.
    auto clipped = plexus::kernel::ack_tracker::decode(stored, plexus::sdk::offset{ 15 });
    REQUIRE(clipped.has_value());
    CHECK(clipped->mark_delete() == plexus::sdk::offset{ 16 });
    CHECK(clipped->range_count() == 1);
    CHECK_FALSE(clipped->is_settled(plexus::sdk::offset{ 17 }));
    CHECK(clipped->is_settled(plexus::sdk::offset{ 20 }));
}

TEST_CASE("malformed stored acks are refused", "[unit][queue]")
{
    plexus::kernel::ack_tracker t(plexus::sdk::offset{ 0 });
    t.settle(plexus::sdk::offset{ 3 });
    t.settle(plexus::sdk::offset{ 7 });
    const auto stored = t.encode();
    for (std::size_t cut = 0; cut < stored.size(); ++cut) {
        CHECK_FALSE(plexus::kernel::ack_tracker::decode(stored.substr(0, cut), plexus::sdk::offset{ 0 }).has_value());
    }
    CHECK_FALSE(plexus::kernel::ack_tracker::decode(stored + "x", plexus::sdk::offset{ 0 }).has_value());
    auto future_format = stored;
    future_format[0] = 2;
    CHECK_FALSE(plexus::kernel::ack_tracker::decode(future_format, plexus::sdk::offset{ 0 }).has_value());
}
