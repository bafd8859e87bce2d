// The registry's link to a session that may move between shards (owner_link.h), on fake
// executors standing in for two shards: a takeover reaches the session on the shard it is on,
// waits while it is in transit, and never reaches a session that is gone.
#include "owner_link.h"

#include "plexus/sdk/testing/fake_executor.h"

#include <catch2/catch.hpp>

using plexus::protocol::mqtt::owner_link;
using plexus::sdk::shard_id;
using plexus::sdk::testing::fake_executor;

namespace {

struct two_shards
{
    fake_executor first{ shard_id{ 0 } };
    fake_executor second{ shard_id{ 1 } };
    std::shared_ptr<bool> alive = std::make_shared<bool>(true);
    int taken = 0;
    std::shared_ptr<owner_link> link = std::make_shared<owner_link>([this] { ++taken; }, alive, first);
};

} // namespace

TEST_CASE("a takeover on the session's shard closes it there", "[mqtt][owner]")
{
    two_shards s;
    s.link->taken_over(s.first);
    CHECK(s.taken == 1);
    CHECK(s.first.run_all() == 0);
}

TEST_CASE("a takeover posted to the shard a session left follows it to its new one", "[mqtt][owner]")
{
    two_shards s;
    s.link->leave();
    CHECK_FALSE(s.link->arrive(s.second));
    s.link->taken_over(s.first); // as the registry posted it, to the shard it knew
    CHECK(s.taken == 0);
    CHECK(s.first.run_all() == 0);
    REQUIRE(s.second.run_all() == 1);
    CHECK(s.taken == 1);
}

TEST_CASE("a takeover while the connection is in transit waits for it to arrive", "[mqtt][owner]")
{
    two_shards s;
    s.link->leave();
    s.link->taken_over(s.first);
    s.link->taken_over(s.second);
    CHECK(s.taken == 0);
    CHECK(s.first.run_all() + s.second.run_all() == 0);
    CHECK(s.link->arrive(s.second)); // the session closes as taken over
    CHECK_FALSE(s.link->arrive(s.second));
}

TEST_CASE("a refused move brings the link back to the old shard", "[mqtt][owner]")
{
    two_shards s;
    s.link->leave();
    CHECK_FALSE(s.link->arrive(s.first));
    s.link->taken_over(s.first);
    CHECK(s.taken == 1);
}

TEST_CASE("a takeover forwarded to a session that is gone meanwhile does nothing", "[mqtt][owner]")
{
    two_shards s;
    s.link->leave();
    s.link->arrive(s.second);
    s.link->taken_over(s.first);
    *s.alive = false; // the session closed on its new shard first
    CHECK(s.second.run_all() == 1);
    CHECK(s.taken == 0);
    s.link->taken_over(s.first);
    s.link.reset(); // and was destroyed: the posted task finds no link
    CHECK(s.second.run_all() == 1);
    CHECK(s.taken == 0);
}
