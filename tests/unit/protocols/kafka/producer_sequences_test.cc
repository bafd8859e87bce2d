// Idempotent producer state: in-order batches are appended, a retry of an appended batch is a
// duplicate with its offset, a gap is out of order, an older epoch is fenced.
#include "producer_sequences.h"

#include <catch2/catch.hpp>

using namespace plexus::protocol::kafka;
using verdict = producer_sequences::verdict;

TEST_CASE("sequence numbers admit each batch once and in order", "[kafka][idempotence]")
{
    producer_sequences s(100);
    auto id = s.new_producer_id();
    CHECK(id == 100);
    CHECK(s.new_producer_id() == 101);
    producer_sequences::batch_key first{ id, 0, 0, 3 };
    REQUIRE(s.check("t", 0, first).v == verdict::append);
    CHECK(s.check("t", 0, first).v == verdict::in_flight); // retried before the append finished
    s.appended("t", 0, first, 40);
    auto dup = s.check("t", 0, first);
    CHECK(dup.v == verdict::duplicate);
    CHECK(dup.offset == 40);
    CHECK(s.check("t", 0, { id, 0, 5, 1 }).v == verdict::out_of_order);
    CHECK(s.check("t", 0, { id, 0, 3, 2 }).v == verdict::append);
    CHECK(s.check("t", 1, { id, 0, 7, 1 }).v == verdict::append); // partitions are separate
    CHECK(s.check("t", 0, { id, 1, 0, 1 }).v == verdict::append); // a new epoch starts over
    CHECK(s.check("t", 0, { id, 0, 5, 1 }).v == verdict::fenced);
}

TEST_CASE("a failed append lets the batch be sent again", "[kafka][idempotence]")
{
    producer_sequences s(1);
    producer_sequences::batch_key b{ 1, 0, 0, 2 };
    REQUIRE(s.check("t", 0, b).v == verdict::append);
    s.appended("t", 0, b, -1);
    CHECK(s.check("t", 0, b).v == verdict::append);
}
