// The channel's bookkeeping alone: publisher confirms in order with multiple, and the ledger
// between channel delivery tags and the kernel's.
#include "confirm_tracker.h"
#include "delivery_ledger.h"

#include <catch2/catch.hpp>

using namespace plexus::protocol::amqp091;
using confirm = confirm_tracker::confirm;

TEST_CASE("confirms go out in order, contiguous runs as one multiple", "[amqp091][confirms]")
{
    confirm_tracker t;
    for (int i = 0; i < 6; ++i) {
        CHECK(t.next() == static_cast<std::uint64_t>(i + 1));
    }
    t.settle(2, true);
    t.settle(3, true);
    CHECK(t.drain().empty()); // 1 is still out
    t.settle(1, true);
    CHECK(t.drain() == std::vector<confirm>{ { 3, true, true } });
    t.settle(5, false);
    t.settle(4, true);
    t.settle(6, true);
    CHECK(t.drain() == std::vector<confirm>{ { 4, false, true }, { 5, false, false }, { 6, false, true } });
    CHECK(t.pending() == 0);
    t.settle(6, true);  // already confirmed: ignored
    t.settle(99, true); // never numbered: ignored
    CHECK(t.drain().empty());
}

TEST_CASE("a run of nacks is one nack with multiple", "[amqp091][confirms]")
{
    confirm_tracker t;
    t.next();
    t.next();
    t.next();
    t.settle(1, false);
    t.settle(2, false);
    t.settle(3, true);
    CHECK(t.drain() == std::vector<confirm>{ { 2, true, false }, { 3, false, true } });
}

TEST_CASE("the ledger finds what an ack names", "[amqp091][acks]")
{
    delivery_ledger l;
    for (std::uint64_t tag = 1; tag <= 5; ++tag) {
        l.add({ tag, nullptr, tag * 10, "q" });
    }
    CHECK(l.take(9, false).empty());
    auto one = l.take(3, false);
    REQUIRE(one.size() == 1);
    CHECK(one[0].kernel_tag == 30);
    CHECK(l.take(3, false).empty()); // acked twice: unknown now
    auto upto = l.take(4, true);
    REQUIRE(upto.size() == 3);
    CHECK(upto[0].tag == 1);
    CHECK(upto[2].tag == 4);
    CHECK(l.size() == 1);
    CHECK(l.take(0, true).size() == 1); // tag 0 with multiple: everything outstanding
    CHECK(l.size() == 0);
}
