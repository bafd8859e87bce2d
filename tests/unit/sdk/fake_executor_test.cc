#include "plexus/sdk/testing/fake_executor.h"

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using plexus::sdk::shard_id;
using plexus::sdk::testing::fake_executor;

TEST_CASE("fake_executor: identity", "[unit][sdk][fake_executor]")
{
    fake_executor e;
    CHECK(e.id() == shard_id{ 0 });
    CHECK(e.is_current());
    fake_executor f(shard_id{ 3 });
    CHECK(f.id() == shard_id{ 3 });
    f.set_id(shard_id{ 5 });
    CHECK(f.id() == shard_id{ 5 });
}

TEST_CASE("fake_executor: post queues until run", "[unit][sdk][fake_executor]")
{
    fake_executor e;
    std::vector<int> order;
    e.post([&] { order.push_back(1); });
    e.post([&] {
        order.push_back(2);
        e.post([&] { order.push_back(4); }); // posted by a task: runs in the same drain
    });
    e.post([&] { order.push_back(3); });
    CHECK(order.empty());
    CHECK(e.pending() == 3);
    CHECK(e.run_one());
    CHECK(order == std::vector<int>{ 1 });
    CHECK(e.run_all() == 3);
    CHECK(order == std::vector<int>{ 1, 2, 3, 4 });
    CHECK(e.pending() == 0);
    CHECK_FALSE(e.run_one());
    CHECK(e.run_all() == 0);
    CHECK(e.posted() == 4);
}

TEST_CASE("fake_executor: post from another thread", "[unit][sdk][fake_executor]")
{
    fake_executor e;
    int ran = 0;
    std::thread t([&] {
        for (int i = 0; i < 100; ++i) {
            e.post([&] { ++ran; });
        }
    });
    t.join();
    CHECK(e.run_all() == 100);
    CHECK(ran == 100);
}

TEST_CASE("fake_executor: timers fire on the manual clock", "[unit][sdk][fake_executor]")
{
    fake_executor e;
    std::vector<std::string> fired;
    auto t10 = e.post_after(10ms, [&] { fired.push_back("10"); });
    auto t5 = e.post_after(5ms, [&] { fired.push_back("5"); });
    auto t5b = e.post_after(5ms, [&] { fired.push_back("5b"); });
    CHECK(e.pending_timers() == 3);
    e.advance(4ms);
    CHECK(fired.empty());
    CHECK(e.now() == 4ms);
    e.advance(1ms);
    CHECK(fired == std::vector<std::string>{ "5", "5b" }); // ties in the order set
    e.advance(100ms);
    CHECK(fired == std::vector<std::string>{ "5", "5b", "10" });
    CHECK(e.now() == 105ms);
    CHECK(e.pending_timers() == 0);
    t10->cancel(); // after firing: harmless
}

TEST_CASE("fake_executor: a timer set by a timer fires within the same advance", "[unit][sdk][fake_executor]")
{
    fake_executor e;
    std::vector<std::chrono::milliseconds> at;
    std::unique_ptr<plexus::sdk::timer> second;
    auto first = e.post_after(5ms, [&] {
        at.push_back(e.now());
        second = e.post_after(3ms, [&] { at.push_back(e.now()); });
        e.post([&] { at.push_back(-1ms); }); // drained before the next timer
    });
    e.advance(10ms);
    CHECK(at == std::vector<std::chrono::milliseconds>{ 5ms, -1ms, 8ms });
    CHECK(e.now() == 10ms);

    auto zero = e.post_after(0ms, [&] { at.push_back(e.now()); });
    e.advance(0ms);
    CHECK(at.back() == 10ms);
}

TEST_CASE("fake_executor: cancel and destroy stop a timer and release its captures", "[unit][sdk][fake_executor]")
{
    fake_executor e;
    auto token = std::make_shared<int>(1);
    int fired = 0;
    auto a = e.post_after(1ms, [&, token] { ++fired; });
    auto b = e.post_after(1ms, [&, token] { ++fired; });
    CHECK(token.use_count() == 3);
    a->cancel();
    a->cancel(); // idempotent
    CHECK(token.use_count() == 2);
    b.reset();
    CHECK(token.use_count() == 1);
    CHECK(e.pending_timers() == 0);
    e.advance(5ms);
    CHECK(fired == 0);
}

TEST_CASE("fake_executor: destruction drops queued work without running it", "[unit][sdk][fake_executor]")
{
    auto token = std::make_shared<int>(1);
    int ran = 0;
    std::unique_ptr<plexus::sdk::timer> t;
    {
        fake_executor e;
        e.post([&ran, token] { ++ran; });
        t = e.post_after(1ms, [&ran, token] { ++ran; });
        CHECK(token.use_count() == 3);
    }
    CHECK(ran == 0);
    CHECK(token.use_count() == 2); // the timer handle still holds its callback
    t.reset();                     // outliving the executor is safe
    CHECK(token.use_count() == 1);
}
