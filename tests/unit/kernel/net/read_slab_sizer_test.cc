// The read buffer stays small for idle and chatty-but-small connections, grows for bulk
// reads, and comes back down when the bulk is over.
#include "kernel/src/net/read_slab_sizer.h"

#include <catch2/catch.hpp>

using plexus::kernel::read_slab_sizer;

TEST_CASE("a connection's read buffer starts small and doubles on full reads up to the largest", "[unit][net]")
{
    read_slab_sizer s;
    CHECK(s.size() == read_slab_sizer::smallest);
    CHECK_FALSE(s.record(100)); // a CONNECT, a PINGREQ: no change
    CHECK(s.size() == read_slab_sizer::smallest);
    std::size_t expected = read_slab_sizer::smallest;
    while (expected < read_slab_sizer::largest) {
        CHECK(s.record(s.size())); // filled: more was probably waiting
        expected *= 2;
        CHECK(s.size() == expected);
    }
    CHECK_FALSE(s.record(s.size()));
    CHECK(s.size() == read_slab_sizer::largest);
}

TEST_CASE("a run of small reads halves the read buffer and a medium read breaks the run", "[unit][net]")
{
    read_slab_sizer s;
    while (s.size() < read_slab_sizer::largest) {
        s.record(s.size());
    }
    for (unsigned i = 0; i + 1 < read_slab_sizer::shrink_after; ++i) {
        REQUIRE_FALSE(s.record(10));
    }
    CHECK_FALSE(s.record(read_slab_sizer::largest / 4)); // not small: the run starts again
    for (unsigned i = 0; i + 1 < read_slab_sizer::shrink_after; ++i) {
        REQUIRE_FALSE(s.record(10));
    }
    CHECK(s.record(10));
    CHECK(s.size() == read_slab_sizer::largest / 2);
    for (int round = 0; round < 10; ++round) {
        for (unsigned i = 0; i < read_slab_sizer::shrink_after; ++i) {
            s.record(1);
        }
    }
    CHECK(s.size() == read_slab_sizer::smallest); // never below the smallest
}
