// A publishing connection following its queue's shard (session_move.cc), against the SDK
// fakes: the fake connection records the move_to() the session asks for, and the test plays
// the kernel's part (the executor's new id, on_moved(), the input offered again).
#include "session_harness.h"

#include <catch2/catch.hpp>

using namespace plexus::tests::amqp091;
using namespace plexus::protocol::amqp091;
using plexus::sdk::shard_id;

namespace {

constexpr int publishes_before_move = plexus::protocol::shard_follower::publishes_before_move;

void publish(session_harness& h, int n, const std::string& queue = "q")
{
    for (int i = 0; i < n; ++i) {
        h.send_content(1, to_queue(queue), {}, "m" + std::to_string(i));
    }
}

/// An open connection with channel 1 and queue "q", whose publishes the kernel reports
/// routed to shard 1 (the harness's shard is 0).
void open_publisher(session_harness& h)
{
    h.open_connection();
    h.open_channel(1);
    h.declare_queue(1, "q");
    h.kernel.set_home_shard(shard_id{ 1 });
}

} // namespace

TEST_CASE("a connection that only publishes moves to its queue's shard after a run of publishes", "[amqp091][move]")
{
    session_harness h;
    open_publisher(h);
    publish(h, publishes_before_move - 1);
    CHECK_FALSE(h.conn.moved_to());
    publish(h, 1);
    REQUIRE(h.conn.moved_to() == shard_id{ 1 });
    CHECK(h.conn.reading_paused()); // what the client sends meanwhile waits

    // Input the old shard is offered is left for the new one.
    queue_declare d;
    d.queue = "after";
    h.send(1, d);
    CHECK(h.take_frames().empty());
    CHECK(h.kernel.published().size() == publishes_before_move);

    // The kernel moved it: the new shard's facade, then the input again.
    h.exec.set_id(shard_id{ 1 });
    h.session()->on_moved(h.kernel);
    CHECK_FALSE(h.conn.reading_paused());
    h.feed("");
    CHECK(as<queue_declare_ok>(h.next()).queue == "after");
    // On the queue's shard now: more publishes never ask for another move.
    h.conn.take_move();
    publish(h, 2 * publishes_before_move);
    CHECK_FALSE(h.conn.moved_to());
    CHECK(h.kernel.depth("q") == 3 * publishes_before_move);
    CHECK_FALSE(h.closed());
}

TEST_CASE("a connection with a consumer, or publishing to several shards, stays", "[amqp091][move]")
{
    SECTION("a consumer on the connection")
    {
        session_harness h;
        open_publisher(h);
        h.declare_queue(1, "mine");
        basic_consume c;
        c.queue = "mine";
        h.send(1, c);
        as<basic_consume_ok>(h.next());
        publish(h, 2 * publishes_before_move);
        CHECK_FALSE(h.conn.moved_to());
        CHECK_FALSE(h.conn.reading_paused());
    }
    SECTION("a run broken by a publish routed elsewhere")
    {
        session_harness h;
        open_publisher(h);
        publish(h, publishes_before_move - 1);
        h.kernel.set_home_shard(shard_id{ 0 }); // this shard
        publish(h, 1);
        h.kernel.set_home_shard(shard_id{ 1 });
        publish(h, publishes_before_move - 1);
        CHECK_FALSE(h.conn.moved_to());
        publish(h, 1);
        CHECK(h.conn.moved_to() == shard_id{ 1 });
    }
    SECTION("unroutable publishes have no home")
    {
        session_harness h;
        open_publisher(h);
        publish(h, 2 * publishes_before_move, "nowhere");
        CHECK_FALSE(h.conn.moved_to());
    }
    SECTION("follow_queue_shard: false")
    {
        gateway_config config;
        config.follow_queue_shard = false;
        session_harness h(config);
        open_publisher(h);
        publish(h, 2 * publishes_before_move);
        CHECK_FALSE(h.conn.moved_to());
    }
}

TEST_CASE("a move waits for the confirms still to be sent on the old shard", "[amqp091][move]")
{
    session_harness h;
    open_publisher(h);
    h.send(1, confirm_select{});
    as<confirm_select_ok>(h.next());
    publish(h, publishes_before_move);
    // The last publish's confirm was still posted when the run was complete: the move waits
    // for it, and tries again a moment later.
    REQUIRE_FALSE(h.conn.moved_to());
    CHECK(h.conn.reading_paused());
    h.exec.advance(std::chrono::milliseconds(1));
    h.run();
    // Every publish was confirmed before the move: none is left to answer on the old shard.
    REQUIRE(h.conn.moved_to() == shard_id{ 1 });
    std::uint64_t confirmed = 0;
    for (auto& f : h.take_frames()) {
        if (f.method && std::holds_alternative<basic_ack>(*f.method)) {
            const auto& ack = std::get<basic_ack>(*f.method);
            confirmed = ack.multiple ? ack.delivery_tag : confirmed + 1;
        }
    }
    CHECK(confirmed == publishes_before_move);
    // After the move the channel goes on confirming, numbering on.
    h.exec.set_id(shard_id{ 1 });
    h.session()->on_moved(h.kernel);
    h.feed("");
    publish(h, 1);
    const auto ack = as<basic_ack>(h.next());
    CHECK(ack.delivery_tag == publishes_before_move + 1);
}

TEST_CASE("a refused move leaves the connection where it is, reading again and not asking again", "[amqp091][move]")
{
    session_harness h;
    open_publisher(h);
    h.conn.set_accept_moves(false);
    publish(h, publishes_before_move);
    CHECK(h.conn.move_requests() == 1);
    CHECK_FALSE(h.conn.moved_to());
    CHECK_FALSE(h.conn.reading_paused());
    // A connection that cannot move (a WebSocket one, say) does not pause for every publish.
    publish(h, 2 * publishes_before_move);
    CHECK(h.conn.move_requests() == 1);
    CHECK(h.kernel.depth("q") == 3 * publishes_before_move);
    CHECK_FALSE(h.closed());
}
