// When a publishing session moves to its queues' shard (shard_follower), on the SDK fakes:
// the fake connection records the move_to() asked for, a manual clock stands in for time, and
// the hooks are flags the test sets.
#include "shard_follower.h"

#include "plexus/sdk/testing/fake_connection.h"
#include "plexus/sdk/testing/fake_executor.h"

#include <catch2/catch.hpp>

using plexus::protocol::shard_follower;
using plexus::sdk::shard_id;
using plexus::sdk::testing::fake_connection;
using plexus::sdk::testing::fake_executor;

namespace {

struct follower_rig
{
    fake_executor exec{ shard_id{ 0 } };
    fake_connection conn{ exec };
    std::shared_ptr<bool> alive = std::make_shared<bool>(true);
    bool open = true;
    bool can_follow = true;
    int can_follow_asked = 0;
    bool idle = true;
    int detached = 0;
    int attached = 0;
    std::chrono::steady_clock::time_point now{};
    shard_follower follower{ conn,
                             alive,
                             { [this] { return open; },
                               [this] {
                                   ++can_follow_asked;
                                   return can_follow;
                               },
                               [this] { return idle; },
                               [this] { ++detached; },
                               [this] { ++attached; } },
                             true,
                             [this] { return now; } };

    void publish(std::uint32_t n, std::optional<shard_id> home = shard_id{ 1 })
    {
        for (std::uint32_t i = 0; i < n; ++i) {
            follower.published(home);
        }
    }
};

} // namespace

TEST_CASE("a fast publisher moves after a run of publishes routed to one other shard", "[session_io][follow]")
{
    follower_rig r;
    r.publish(shard_follower::publishes_before_move - 1);
    CHECK(r.conn.move_requests() == 0);
    r.publish(1);
    REQUIRE(r.conn.moved_to() == shard_id{ 1 });
    CHECK(r.detached == 1);
    CHECK(r.conn.reading_paused());
    r.follower.moved();
    CHECK(r.attached == 1);
    CHECK_FALSE(r.conn.reading_paused());
    CHECK_FALSE(r.follower.moving());
}

TEST_CASE("a slow publisher moves after a few publishes once its run has lasted", "[session_io][follow]")
{
    follower_rig r;
    constexpr auto few = shard_follower::slow_publishes_before_move;
    r.publish(1);
    r.now += shard_follower::slow_run - std::chrono::milliseconds(1);
    r.publish(few - 1);
    CHECK(r.conn.move_requests() == 0); // not long enough yet
    r.now += std::chrono::milliseconds(1);
    r.publish(few - 1);
    CHECK(r.conn.move_requests() == 0); // long enough, looked at with the next few
    r.publish(1);
    CHECK(r.conn.moved_to() == shard_id{ 1 });
}

TEST_CASE("a run ends with a publish to this shard, to several, or to another one", "[session_io][follow]")
{
    follower_rig r;
    SECTION("this shard's or several shards' queues")
    {
        const std::optional<shard_id> elsewhere = GENERATE(std::optional<shard_id>{ shard_id{ 0 } }, std::nullopt);
        r.publish(shard_follower::publishes_before_move - 1);
        r.now += shard_follower::slow_run;
        r.publish(1, elsewhere);
        r.publish(shard_follower::slow_publishes_before_move - 1);
        CHECK(r.conn.move_requests() == 0);
        r.publish(shard_follower::publishes_before_move - shard_follower::slow_publishes_before_move);
        CHECK(r.conn.move_requests() == 0); // the new run began just now
    }
    SECTION("a third shard's")
    {
        r.publish(shard_follower::publishes_before_move - 1);
        r.publish(1, shard_id{ 2 });
        CHECK(r.conn.move_requests() == 0);
        r.publish(shard_follower::publishes_before_move - 1, shard_id{ 2 });
        CHECK(r.conn.moved_to() == shard_id{ 2 });
    }
}

TEST_CASE("a session that cannot follow is asked again after another run, not at every publish", "[session_io][follow]")
{
    follower_rig r;
    r.can_follow = false;
    r.publish(shard_follower::publishes_before_move);
    CHECK(r.can_follow_asked == 1);
    r.publish(shard_follower::publishes_before_move - 1);
    CHECK(r.can_follow_asked == 1);
    r.can_follow = true; // its consumer went
    r.publish(1);
    CHECK(r.can_follow_asked == 3); // at the end of the run, and again as the move begins
    CHECK(r.conn.moved_to() == shard_id{ 1 });
}

TEST_CASE("a move waits while the session has work pending here, and gives up when it closes or consumes",
          "[session_io][follow]")
{
    follower_rig r;
    r.idle = false;
    r.publish(shard_follower::publishes_before_move);
    CHECK(r.follower.moving());
    CHECK(r.conn.move_requests() == 0);
    SECTION("idle a moment later: it moves")
    {
        r.idle = true;
        r.exec.advance(std::chrono::milliseconds(1));
        CHECK(r.conn.moved_to() == shard_id{ 1 });
    }
    SECTION("a consumer came meanwhile: it stays and reads again")
    {
        r.can_follow = false;
        r.exec.advance(std::chrono::milliseconds(1));
        CHECK(r.conn.move_requests() == 0);
        CHECK_FALSE(r.follower.moving());
        CHECK_FALSE(r.conn.reading_paused());
    }
    SECTION("closing: it stops, still paused, for the close to finish")
    {
        r.open = false;
        r.exec.advance(std::chrono::milliseconds(1));
        CHECK(r.conn.move_requests() == 0);
        CHECK_FALSE(r.follower.moving());
    }
    SECTION("the session is gone: the retry does nothing")
    {
        *r.alive = false;
        r.idle = true;
        r.exec.advance(std::chrono::milliseconds(5));
        CHECK(r.conn.move_requests() == 0);
    }
}

TEST_CASE("a connection moves at most four times, and not again after a refusal", "[session_io][follow]")
{
    SECTION("four moves")
    {
        follower_rig r;
        for (std::uint32_t m = 0; m < shard_follower::max_moves; ++m) {
            const shard_id to{ (m % 2) + 1 };
            r.publish(shard_follower::publishes_before_move, to);
            REQUIRE(r.conn.take_move() == to);
            r.follower.moved();
        }
        r.publish(2 * shard_follower::publishes_before_move);
        CHECK(r.conn.move_requests() == shard_follower::max_moves);
    }
    SECTION("a refusal")
    {
        follower_rig r;
        r.conn.set_accept_moves(false);
        r.publish(shard_follower::publishes_before_move);
        CHECK(r.conn.move_requests() == 1);
        CHECK(r.attached == 1); // re-armed where it is
        CHECK_FALSE(r.conn.reading_paused());
        r.publish(2 * shard_follower::publishes_before_move);
        CHECK(r.conn.move_requests() == 1);
    }
}
