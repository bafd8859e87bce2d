// An MQTT session following its subscribers' shard (session_move.cc), against the SDK fakes:
// the fake connection records the move_to() the session asks for, and the test plays the
// kernel's part (the executor's new id, on_moved(), the input offered again). A second
// connection on another fake shard takes the client id over while the first is in transit.
#include "codec.h"
#include "listener_shared.h"
#include "session.h"
#include "shard_follower.h"
#include "plexus/sdk/testing/fake_connection.h"
#include "plexus/sdk/testing/fake_kernel.h"

#include <catch2/catch.hpp>

#include <chrono>

using namespace plexus::protocol::mqtt;
using plexus::protocol::shard_follower;
using plexus::sdk::shard_id;
using plexus::sdk::testing::fake_connection;
using plexus::sdk::testing::fake_executor;
using plexus::sdk::testing::fake_kernel;

namespace {

constexpr std::uint32_t run = shard_follower::publishes_before_move;

/// One MQTT 3.1.1 client's connection to a real session on a fake shard.
struct client
{
    client(listener_shared& shared, fake_executor& exec, fake_kernel& kernel, std::uint64_t id)
      : conn(exec, id)
      , s(std::make_unique<plexus::protocol::mqtt::session>(conn, kernel, shared, kernel.log("protocol.mqtt")))
      , _exec(exec)
    {
    }
    ~client() { end(); }

    void send(const packet& p)
    {
        if (!s) {
            return;
        }
        in.append(encode_packet(p, protocol_version::v311));
        if (auto st = s->on_data(in); !st.ok()) {
            conn.close(st, true);
        }
        _exec.run_all();
    }
    void connect(const std::string& id, std::uint16_t keep_alive = 0)
    {
        connect_packet c;
        c.client_id = id;
        c.keep_alive = keep_alive;
        send(c);
        const auto out = conn.take_written();
        REQUIRE(out.size() >= 4);
        REQUIRE(out.substr(0, 4) == std::string("\x20\x02\x00\x00", 4)); // CONNACK, accepted
    }
    void publish(std::uint32_t n, std::uint8_t qos = 0)
    {
        for (std::uint32_t i = 0; i < n; ++i) {
            publish_packet p;
            p.topic = "t";
            p.qos = qos;
            p.packet_id = qos > 0 ? static_cast<std::uint16_t>(++_packet_id) : 0;
            p.payload = plexus::sdk::buffer_chain::copy_of("m");
            send(p);
        }
    }
    /// The kernel's part of a move: the connection is on the new shard, then the session.
    void arrive(shard_id on, fake_kernel& k)
    {
        _exec.set_id(on);
        s->on_moved(k);
        _exec.run_all();
    }
    void end()
    {
        if (s) {
            s->on_close(plexus::sdk::status(plexus::sdk::errc::unavailable, "test over"));
            s.reset();
        }
    }

    fake_connection conn;
    std::unique_ptr<plexus::protocol::mqtt::session> s;
    plexus::sdk::buffer_chain in;

  private:
    fake_executor& _exec;
    std::uint32_t _packet_id = 0;
};

/// A listener on two fake shards; the fake kernel routes topic "t" to a queue it reports on
/// shard 1 (the first client's shard is 0).
struct rig
{
    explicit rig(gateway_config config = {})
      : shared(config, gateway)
    {
        plexus::sdk::queue_spec t;
        t.name = "t";
        kernel.declare_queue(t, [](plexus::sdk::result<plexus::sdk::queue_info>) {});
        kernel.set_home_shard(shard_id{ 1 });
        first.run_all();
    }
    fake_executor first{ shard_id{ 0 } };
    fake_executor second{ shard_id{ 1 } };
    fake_kernel kernel{ first };
    std::shared_ptr<gateway_shared> gateway = std::make_shared<gateway_shared>(std::chrono::seconds(0));
    listener_shared shared;
};

} // namespace

TEST_CASE("an MQTT publisher moves to its subscribers' shard and publishes on there", "[mqtt][move]")
{
    rig r;
    client c(r.shared, r.first, r.kernel, 1);
    c.connect("pub");
    c.publish(run - 1, 1);
    CHECK(c.conn.move_requests() == 0);
    c.publish(1, 1);
    // The last PUBACK's flush was still posted when the run was complete: the move waits for
    // it, and tries again a moment later.
    CHECK(c.conn.move_requests() == 0);
    CHECK(c.conn.reading_paused());
    r.first.advance(std::chrono::milliseconds(1));
    REQUIRE(c.conn.moved_to() == shard_id{ 1 });
    // Every PUBACK went out before the move: none is left to send on the old shard.
    CHECK(c.conn.take_written().size() == run * 4);

    c.arrive(shard_id{ 1 }, r.kernel);
    CHECK_FALSE(c.conn.reading_paused());
    c.publish(2 * run, 1);
    CHECK(c.conn.take_written().size() == 2 * run * 4);
    CHECK(c.conn.move_requests() == 1); // on the subscribers' shard now
    CHECK(r.kernel.depth("t") == 3 * run);
}

TEST_CASE("a session that subscribed, or whose gateway does not follow, stays", "[mqtt][move]")
{
    SECTION("subscribed")
    {
        rig r;
        client c(r.shared, r.first, r.kernel, 1);
        c.connect("mixed");
        subscribe_packet sub;
        sub.packet_id = 1;
        sub.topics.push_back(subscription_option{ "own" });
        c.send(sub);
        c.publish(2 * run);
        CHECK(c.conn.move_requests() == 0);
    }
    SECTION("follow_queue_shard: false")
    {
        gateway_config config;
        config.follow_queue_shard = false;
        rig r(config);
        client c(r.shared, r.first, r.kernel, 1);
        c.connect("fixed");
        c.publish(2 * run);
        CHECK(c.conn.move_requests() == 0);
    }
}

TEST_CASE("a session leaves no timer on the old shard and keeps alive on the new one", "[mqtt][move]")
{
    rig r;
    client c(r.shared, r.first, r.kernel, 1);
    c.connect("alive", 30);
    CHECK(r.first.pending_timers() == 1); // the keep-alive check
    c.publish(run);
    REQUIRE(c.conn.moved_to() == shard_id{ 1 });
    CHECK(r.first.pending_timers() == 0);
    CHECK(r.first.pending() == 0);
    c.arrive(shard_id{ 1 }, r.kernel);
    CHECK(r.first.pending_timers() == 1); // armed again, now on the new shard
}

TEST_CASE("a takeover while the session is in transit closes it once it arrives", "[mqtt][move]")
{
    rig r;
    client moving(r.shared, r.first, r.kernel, 1);
    moving.connect("same");
    moving.publish(run);
    REQUIRE(moving.conn.moved_to() == shard_id{ 1 });

    fake_kernel other_kernel{ r.second };
    client taker(r.shared, r.second, other_kernel, 2);
    taker.connect("same"); // posts the takeover to the shard the registry knew: the first
    r.first.run_all();
    CHECK_FALSE(moving.conn.closed()); // in transit: nothing may touch it

    moving.arrive(shard_id{ 1 }, r.kernel);
    CHECK(moving.conn.closed());
    CHECK_FALSE(taker.conn.closed());
}
