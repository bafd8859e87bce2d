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
