// A stream that forwards what it appends to an exchange (stream_spec::forward_exchange): how a
// Kafka topic feeds AMQP queues and MQTT subscribers.
#include "broker_fixture.h"

#include <thread>

using namespace plexus_test;

namespace {

sdk::stream_spec forwarding(std::string name, std::string exchange)
{
    sdk::stream_spec spec;
    spec.name = std::move(name);
    spec.forward_exchange = std::move(exchange);
    return spec;
}

} // namespace

TEST_CASE_METHOD(broker_fixture, "a stream forwards every record it appends to its exchange", "[unit][kernel][stream]")
{
    REQUIRE(declare("orders-eu").ok());
    REQUIRE(bind("amq.topic", "orders-eu", "orders.eu.*").ok());
    REQUIRE(declare_stream(forwarding("orders", "amq.topic")).ok());

    // Appended straight to the partition, as the Kafka gateway does, from either shard.
    for (unsigned shard = 0; shard < 2; ++shard) {
        sdk::record_batch batch;
        batch.records.push_back(make_message("", "orders.eu.paris", "p" + std::to_string(shard)));
        batch.records.push_back(make_message("", "orders.us.nyc", "n" + std::to_string(shard)));
        REQUIRE(call<sdk::result<sdk::offset_range>>(k(shard), [batch](sdk::kernel& k, auto done) mutable {
                    k.append(
                      "/", "orders", sdk::partition_id(0), std::move(batch), sdk::ack_level::stored, std::move(done));
                }).ok());
    }
    REQUIRE(eventually([&] { return info("orders-eu").messages == 2; }));
    auto first = get("orders-eu");
    REQUIRE(first.ok());
    REQUIRE(first->has_value());
    CHECK((*first)->d.msg->body.to_string() == "p0");
    CHECK((*first)->d.msg->exchange == "amq.topic");
    CHECK((*first)->d.msg->routing_key == "orders.eu.paris");
    CHECK(get("orders-eu")->value().d.msg->body.to_string() == "p1");
}

TEST_CASE_METHOD(broker_fixture,
                 "a forwarded copy skips its own stream and is not forwarded again",
                 "[unit][kernel][stream]")
{
    // a → amq.topic, which routes back to a and on to b; b → amq.fanout, which routes to a.
    REQUIRE(declare_stream(forwarding("a", "amq.topic")).ok());
    REQUIRE(declare_stream(forwarding("b", "amq.fanout")).ok());
    sdk::binding_spec to_a;
    to_a.exchange = "amq.topic";
    to_a.destination = "a";
    to_a.destination_is_stream = true;
    to_a.key = "loop.#";
    REQUIRE(bind_spec(to_a).ok());
    sdk::binding_spec to_b = to_a;
    to_b.destination = "b";
    REQUIRE(bind_spec(to_b).ok());
    sdk::binding_spec back_to_a = to_a;
    back_to_a.exchange = "amq.fanout";
    back_to_a.key = "";
    REQUIRE(bind_spec(back_to_a).ok());
    REQUIRE(declare("watch").ok());
    REQUIRE(bind("amq.topic", "watch", "loop.#").ok());

    REQUIRE(publish(make_message("amq.topic", "loop.start", "once"))->routed == 3);
    auto next_of = [&](const char* stream) {
        return call<sdk::result<sdk::log_offsets>>(k(),
                                                   [stream](sdk::kernel& k, auto done) {
                                                       k.stream_offsets(
                                                         "/", stream, sdk::partition_id(0), std::move(done));
                                                   })
          ->next;
    };
    // a: the publish and b's copy of it (a's own copy skips a). b: the publish and a's copy.
    // watch: the publish and a's copy. No copy is forwarded again, so nothing more comes,
    // however long we wait.
    REQUIRE(eventually(
      [&] { return info("watch").messages == 2 && next_of("a") == sdk::offset(2) && next_of("b") == sdk::offset(2); }));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    CHECK(next_of("a") == sdk::offset(2));
    CHECK(next_of("b") == sdk::offset(2));
    CHECK(info("watch").messages == 2);
}

TEST_CASE_METHOD(broker_fixture, "a stream cannot forward to an exchange that does not exist", "[unit][kernel][stream]")
{
    auto r = declare_stream(forwarding("nowhere", "no-such-exchange"));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == errc::not_found);
    CHECK(r.error().message().find("no-such-exchange") != std::string_view::npos);
}

TEST_CASE_METHOD(broker_fixture,
                 "a stream's info names its engine, forward exchange and segment size",
                 "[unit][kernel][stream]")
{
    auto made = declare_stream(forwarding("described", "amq.topic"));
    REQUIRE(made.ok());
    CHECK(made->storage == "memory"); // none named: the configured default
    CHECK(made->forward_exchange == "amq.topic");
    CHECK(made->segment_bytes == 0); // the memory engine keeps no segments
    auto spec = forwarding("described", "");
    spec.passive = true;
    auto found = declare_stream(spec);
    REQUIRE(found.ok());
    CHECK(found->storage == "memory");
    CHECK(found->forward_exchange == "amq.topic");
    auto elsewhere = forwarding("on-tape", "");
    elsewhere.storage = "tape";
    auto refused = declare_stream(elsewhere);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().code() == errc::invalid_argument);
    CHECK(std::string(refused.error().message()).find("tape") != std::string::npos);
}

TEST_CASE("a stream on the file engine reports the engine's segment size", "[unit][kernel][stream]")
{
    plexus::tests::temp_dir dir;
    auto config = test_config();
    config.data_dir = dir.path.string();
    config.storage_engines = { { "memory", "{}" }, { "file", R"({"segment_bytes": 1048576})" } };
    broker_fixture f(config);
    sdk::stream_spec spec;
    spec.name = "segmented";
    spec.storage = "file";
    auto made = f.declare_stream(spec);
    REQUIRE(made.ok());
    CHECK(made->storage == "file");
    CHECK(made->segment_bytes == 1048576);
}

TEST_CASE_METHOD(broker_fixture,
                 "records in a format no loaded plugin decodes are refused, not stored",
                 "[unit][kernel][stream]")
{
    // No protocol plugin is loaded here, so no record format is known (ADR 0019).
    sdk::stream_spec spec;
    spec.name = "foreign";
    REQUIRE(declare_stream(spec).ok());
    sdk::record_batch batch;
    batch.encoded = sdk::encoded_records{};
    batch.encoded->format = "unknown.v1";
    batch.encoded->bytes = sdk::buffer_chain::copy_of("opaque bytes");
    batch.encoded->count = 2;
    auto appended = call<sdk::result<sdk::offset_range>>(k(), [batch](sdk::kernel& k, auto done) mutable {
        k.append("/", "foreign", sdk::partition_id(0), std::move(batch), sdk::ack_level::stored, std::move(done));
    });
    REQUIRE_FALSE(appended.ok());
    CHECK(appended.error().code() == sdk::errc::not_supported);
    CHECK(std::string(appended.error().message()).find("unknown.v1") != std::string::npos);
    auto offsets = call<sdk::result<sdk::log_offsets>>(
      k(), [](sdk::kernel& k, auto done) { k.stream_offsets("/", "foreign", sdk::partition_id(0), std::move(done)); });
    REQUIRE(offsets.ok());
    CHECK(offsets->next == sdk::offset(0));
}
