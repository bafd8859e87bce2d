// Priority queues (x-max-priority) through the facade: higher priorities first, FIFO within one,
// clamping at the max, requeue into the original position, a backlog beyond the read-ahead
// window, TTL and max length, and a durable priority queue across a restart.
#include "broker_fixture.h"

#include "plexus/sdk/dead_letter.h"

using namespace plexus_test;

namespace {

sdk::queue_spec priority_queue(std::string name, std::int64_t max_priority, sdk::headers more = {})
{
    sdk::queue_spec s;
    s.name = std::move(name);
    s.arguments = std::move(more);
    s.arguments.push_back({ "x-max-priority", max_priority });
    return s;
}

sdk::message_ptr with_priority(sdk::message_ptr m, std::uint8_t priority)
{
    auto copy = std::make_shared<sdk::message>(*m);
    copy->properties.priority = priority;
    return copy;
}

/// Publishes `body` to queue `q` through the default exchange with `priority`.
void publish_to(broker_fixture& f, const std::string& q, const std::string& body, std::uint8_t priority)
{
    auto ack = f.publish(with_priority(make_message("", q, body), priority));
    REQUIRE(ack.ok());
    REQUIRE(ack->routed == 1);
}

/// Takes every ready message with basic.get (auto-ack), in order.
std::vector<std::string> drain(broker_fixture& f, const std::string& q)
{
    std::vector<std::string> out;
    for (;;) {
        auto got = f.get(q);
        REQUIRE(got.ok());
        if (!got->has_value()) {
            return out;
        }
        out.push_back((*got)->d.msg->body.to_string());
    }
}

} // namespace

TEST_CASE_METHOD(broker_fixture, "a priority queue delivers higher priorities first", "[unit][kernel][priority]")
{
    REQUIRE(declare(priority_queue("prio", 10)).ok());
    publish_to(*this, "prio", "p1", 1);
    publish_to(*this, "prio", "p5a", 5);
    publish_to(*this, "prio", "p9", 9);
    publish_to(*this, "prio", "p0", 0);
    publish_to(*this, "prio", "p5b", 5);
    CHECK(info("prio").messages == 5);

    collecting_sink sink;
    auto sub = subscribe(consumer("prio", 1), sink);
    REQUIRE(sub.ok());
    std::vector<std::string> order;
    for (int i = 0; i < 5; ++i) {
        REQUIRE(eventually([&] { return sink.count() == order.size() + 1; }));
        auto d = sink.at(order.size());
        order.push_back(d.msg->body.to_string());
        on(1, [&] { (*sub)->ack(d.tag, false); });
    }
    // FIFO within one priority: the two 5s in publish order.
    CHECK(order == std::vector<std::string>{ "p9", "p5a", "p5b", "p1", "p0" });
    cancel(std::move(*sub));
}

TEST_CASE_METHOD(broker_fixture, "a priority above the max counts as the max", "[unit][kernel][priority]")
{
    REQUIRE(declare(priority_queue("clamped", 3)).ok());
    publish_to(*this, "clamped", "at-max", 3);
    publish_to(*this, "clamped", "above-max", 200);
    publish_to(*this, "clamped", "low", 1);
    publish_to(*this, "clamped", "also-above", 4);
    CHECK(drain(*this, "clamped") == std::vector<std::string>{ "at-max", "above-max", "also-above", "low" });
}

TEST_CASE_METHOD(broker_fixture, "a queue without x-max-priority ignores priorities", "[unit][kernel][priority]")
{
    REQUIRE(declare("plain").ok());
    publish_to(*this, "plain", "first", 0);
    publish_to(*this, "plain", "second", 9);
    publish_to(*this, "plain", "third", 5);
    CHECK(drain(*this, "plain") == std::vector<std::string>{ "first", "second", "third" });
}

TEST_CASE_METHOD(broker_fixture, "requeued messages go back into their priority in order", "[unit][kernel][priority]")
{
    REQUIRE(declare(priority_queue("again", 5)).ok());
    publish_to(*this, "again", "h1", 5);
    publish_to(*this, "again", "h2", 5);
    publish_to(*this, "again", "l1", 1);
    publish_to(*this, "again", "l2", 1);
    collecting_sink sink;
    auto sub = subscribe(consumer("again", 4), sink);
    REQUIRE(sub.ok());
    REQUIRE(eventually([&] { return sink.count() == 4; }));
    CHECK(sink.bodies() == std::vector<std::string>{ "h1", "h2", "l1", "l2" });
    // A newer high priority arrives while they are out; then l1 and h1 come back.
    publish_to(*this, "again", "h3", 5);
    on(1, [&] {
        (*sub)->pause(true);                       // nothing goes out again until the drain below
        (*sub)->nack(sink.at(2).tag, false, true); // l1
        (*sub)->nack(sink.at(0).tag, false, true); // h1
        (*sub)->ack(sink.at(1).tag, false);
        (*sub)->ack(sink.at(3).tag, false);
    });
    cancel(std::move(*sub));
    auto order = drain(*this, "again");
    // h1 before h3 (its original position), both before l1.
    CHECK(order == std::vector<std::string>{ "h1", "h3", "l1" });
}

TEST_CASE_METHOD(broker_fixture,
                 "high priorities pass a low backlog larger than the read-ahead window",
                 "[unit][kernel][priority]")
{
    REQUIRE(declare(priority_queue("deep", 2)).ok());
    constexpr int low = 6000; // more than the 4096 records a lane reads ahead
    for (int i = 0; i < low; ++i) {
        publish_to(*this, "deep", "low" + std::to_string(i), 0);
    }
    for (int i = 0; i < 10; ++i) {
        publish_to(*this, "deep", "high" + std::to_string(i), 2);
    }
    CHECK(info("deep").messages == low + 10);
    auto order = drain(*this, "deep");
    REQUIRE(order.size() == low + 10);
    for (int i = 0; i < 10; ++i) {
        CHECK(order[i] == "high" + std::to_string(i));
    }
    for (int i = 0; i < low; ++i) {
        if (order[10 + i] != "low" + std::to_string(i)) {
            FAIL("low message " << i << " out of order: " << order[10 + i]);
        }
    }
}

TEST_CASE_METHOD(broker_fixture,
                 "a high priority backlog still in the log goes before low ones in memory",
                 "[unit][kernel][priority]")
{
    REQUIRE(declare(priority_queue("paged", 1)).ok());
    // Fill the high lane beyond its window (the rest stays in its log), then a few lows.
    constexpr int high = 5000;
    for (int i = 0; i < high; ++i) {
        publish_to(*this, "paged", "high" + std::to_string(i), 1);
    }
    for (int i = 0; i < 3; ++i) {
        publish_to(*this, "paged", "low" + std::to_string(i), 0);
    }
    collecting_sink sink;
    auto sub = subscribe(consumer("paged"), sink); // no prefetch limit: everything flows
    REQUIRE(sub.ok());
    REQUIRE(eventually([&] { return sink.count() == high + 3; }));
    auto bodies = sink.bodies();
    for (int i = 0; i < high; ++i) {
        if (bodies[i] != "high" + std::to_string(i)) {
            FAIL("delivery " << i << " is " << bodies[i]);
        }
    }
    CHECK(bodies[high] == "low0");
    CHECK(bodies[high + 2] == "low2");
    cancel(std::move(*sub));
}

TEST_CASE_METHOD(broker_fixture, "TTL expires messages of every priority", "[unit][kernel][priority]")
{
    REQUIRE(declare(priority_queue("prio-ttl", 5, { { "x-message-ttl", std::int64_t(100) } })).ok());
    publish_to(*this, "prio-ttl", "low", 0);
    publish_to(*this, "prio-ttl", "high", 5);
    CHECK(info("prio-ttl").messages == 2);
    // Nobody consumes: the timer takes both out, the low one too.
    REQUIRE(eventually([&] { return info("prio-ttl").messages == 0; }, 2s));
    publish_to(*this, "prio-ttl", "fresh", 2);
    CHECK(drain(*this, "prio-ttl") == std::vector<std::string>{ "fresh" });
}

TEST_CASE_METHOD(broker_fixture,
                 "max length on a priority queue drops the head: the next message out",
                 "[unit][kernel][priority]")
{
    REQUIRE(declare("prio-dropped").ok());
    REQUIRE(declare(priority_queue("prio-bounded",
                                   5,
                                   { { "x-max-length", std::int64_t(2) },
                                     { "x-dead-letter-exchange", std::string("") },
                                     { "x-dead-letter-routing-key", std::string("prio-dropped") } }))
              .ok());
    publish_to(*this, "prio-bounded", "high", 5);
    publish_to(*this, "prio-bounded", "low1", 1);
    publish_to(*this, "prio-bounded", "low2", 1);
    // RabbitMQ: the head goes, and the head of a priority queue is its highest priority.
    REQUIRE(eventually([&] { return info("prio-bounded").messages == 2 && info("prio-dropped").messages == 1; }));
    CHECK(drain(*this, "prio-bounded") == std::vector<std::string>{ "low1", "low2" });
    auto dropped = get("prio-dropped");
    REQUIRE(dropped->has_value());
    CHECK((*dropped)->d.msg->body.to_string() == "high");
    CHECK(sdk::deaths_of(*(*dropped)->d.msg).at(0).reason == "maxlen");
}

TEST_CASE_METHOD(broker_fixture, "purge empties every priority", "[unit][kernel][priority]")
{
    REQUIRE(declare(priority_queue("prio-purged", 4)).ok());
    for (std::uint8_t p = 0; p <= 4; ++p) {
        publish_to(*this, "prio-purged", "m" + std::to_string(p), p);
    }
    CHECK(info("prio-purged").messages == 5);
    auto purged = call<sdk::result<std::uint64_t>>(
      k(), [](sdk::kernel& k, auto done) { k.purge_queue("/", "prio-purged", std::move(done)); });
    REQUIRE(purged.ok());
    CHECK(*purged == 5);
    CHECK(info("prio-purged").messages == 0);
    CHECK_FALSE(get("prio-purged")->has_value());
}

TEST_CASE("a durable priority queue keeps its order and acks across a restart", "[unit][kernel][priority][restart]")
{
    plexus::tests::temp_dir dir;
    auto config = test_config();
    config.data_dir = dir.path.string();
    config.storage_engines = { { "file", "{}" } };
    config.default_storage = "file";
    auto durable = priority_queue("jobs", 9);
    durable.durable = true;
    {
        broker_fixture f(config);
        REQUIRE(f.declare(durable).ok());
        for (int i = 0; i < 3; ++i) {
            publish_to(f, "jobs", "low" + std::to_string(i), 1);
            publish_to(f, "jobs", "high" + std::to_string(i), 9);
        }
        collecting_sink sink;
        auto sub = f.subscribe(consumer("jobs", 6), sink);
        REQUIRE(sub.ok());
        REQUIRE(eventually([&] { return sink.count() == 6; }));
        CHECK(sink.bodies() == std::vector<std::string>{ "high0", "high1", "high2", "low0", "low1", "low2" });
        // Acked out of order in both lanes: high1 and low0, low2.
        f.on(1, [&] {
            (*sub)->ack(sink.at(1).tag, false);
            (*sub)->ack(sink.at(3).tag, false);
            (*sub)->ack(sink.at(5).tag, false);
        });
        f.cancel(std::move(*sub));
    } // a clean stop saves every lane's acks
    broker_fixture again(config);
    collecting_sink sink;
    auto sub = again.subscribe(consumer("jobs"), sink);
    REQUIRE(sub.ok());
    REQUIRE(eventually([&] { return sink.count() == 3; }));
    std::this_thread::sleep_for(50ms); // nothing acked may follow
    CHECK(sink.bodies() == std::vector<std::string>{ "high0", "high2", "low1" });
    CHECK(sink.at(0).redelivered);
    again.cancel(std::move(*sub));
}

TEST_CASE_METHOD(broker_fixture, "deleting a priority queue removes every priority's log", "[unit][kernel][priority]")
{
    REQUIRE(declare(priority_queue("short-lived", 3)).ok());
    publish_to(*this, "short-lived", "low", 0);
    publish_to(*this, "short-lived", "high", 3);
    auto deleted = call<sdk::result<std::uint64_t>>(
      k(), [](sdk::kernel& k, auto done) { k.delete_queue("/", "short-lived", false, false, std::move(done)); });
    REQUIRE(deleted.ok());
    CHECK(*deleted == 2);
    // Declared again, it starts empty: no lane reopened what the old one stored.
    REQUIRE(declare(priority_queue("short-lived", 3)).ok());
    CHECK(info("short-lived").messages == 0);
    CHECK_FALSE(get("short-lived")->has_value());
}

TEST_CASE("a transient priority queue leaves no lane behind across a restart", "[unit][kernel][priority][restart]")
{
    plexus::tests::temp_dir dir;
    auto config = test_config();
    config.data_dir = dir.path.string();
    config.storage_engines = { { "file", "{}" } };
    config.default_storage = "file";
    {
        broker_fixture f(config);
        REQUIRE(f.declare(priority_queue("transient", 4)).ok());
        publish_to(f, "transient", "low", 0);
        publish_to(f, "transient", "high", 4);
    }
    broker_fixture again(config);
    REQUIRE(again.declare(priority_queue("transient", 4)).ok());
    CHECK(again.info("transient").messages == 0);
    CHECK_FALSE(again.get("transient")->has_value());
}
