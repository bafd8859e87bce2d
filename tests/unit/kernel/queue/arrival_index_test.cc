#include "kernel/src/queue/arrival_index.h"

#include <catch2/catch.hpp>

using plexus::kernel::arrival_index;
using plexus::sdk::offset;

TEST_CASE("an offset arrived when the append that holds it did", "[unit][queue]")
{
    arrival_index idx(1000);
    CHECK(idx.arrival(offset(0)) == 1000); // before any append: when the queue opened
    idx.record(offset(5), 2000);
    idx.record(offset(9), 2000); // same millisecond: no new entry
    idx.record(offset(12), 3000);
    CHECK(idx.size() == 2);
    CHECK(idx.arrival(offset(4)) == 1000); // recovered from before the restart
    CHECK(idx.arrival(offset(5)) == 2000);
    CHECK(idx.arrival(offset(11)) == 2000);
    CHECK(idx.arrival(offset(12)) == 3000);
    CHECK(idx.arrival(offset(1000)) == 3000);
}

TEST_CASE("forgetting keeps the entry that covers the new start", "[unit][queue]")
{
    arrival_index idx(0);
    idx.record(offset(0), 10);
    idx.record(offset(10), 20);
    idx.record(offset(20), 30);
    idx.forget_below(offset(15));
    CHECK(idx.size() == 2);
    CHECK(idx.arrival(offset(15)) == 20);
    CHECK(idx.arrival(offset(25)) == 30);
    idx.forget_below(offset(100));
    CHECK(idx.size() == 1);
    CHECK(idx.arrival(offset(100)) == 30);
}
