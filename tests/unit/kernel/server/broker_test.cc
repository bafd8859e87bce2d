// The kernel through its facade, as a protocol plugin sees it.
#include "broker_fixture.h"

#include <map>
#include <set>
#include <thread>

using namespace plexus_test;

TEST_CASE_METHOD(broker_fixture, "publish to the default exchange and get it back", "[unit][kernel]")
{
    REQUIRE(declare("q1").ok());
    auto ack = publish(make_message("", "q1", "hello"), 1);
    REQUIRE(ack.ok());
    CHECK(ack->routed == 1);
    CHECK(ack->reached == sdk::ack_level::stored);
    auto got = get("q1");
    REQUIRE(got.ok());
    REQUIRE(got->has_value());
    CHECK((*got)->d.msg->body.to_string() == "hello");
    CHECK((*got)->d.delivery_count == 1);
    CHECK_FALSE((*got)->d.redelivered);
    auto empty = get("q1");
    REQUIRE(empty.ok());
    CHECK_FALSE(empty->has_value());
}

TEST_CASE_METHOD(broker_fixture, "unroutable and bad-exchange publishes", "[unit][kernel]")
{
    auto ack = publish(make_message("amq.direct", "nobody", "x"));
    REQUIRE(ack.ok());
    CHECK(ack->routed == 0);
    auto bad = publish(make_message("no-such-exchange", "k", "x"));
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().code() == errc::not_found);
    CHECK(bad.error().message().find("no-such-exchange") != std::string_view::npos);
}

TEST_CASE_METHOD(broker_fixture, "exchanges route through their routing plugins", "[unit][kernel]")
{
    REQUIRE(declare("t1").ok());
    REQUIRE(declare("t2").ok());
    REQUIRE(bind("amq.topic", "t1", "sensors.*.temp").ok());
    REQUIRE(bind("amq.topic", "t2", "sensors.#").ok());
    REQUIRE(bind("amq.topic", "t2", "sensors.#").ok()); // idempotent
    CHECK(publish(make_message("amq.topic", "sensors.k1.temp", "a"))->routed == 2);
    CHECK(publish(make_message("amq.topic", "sensors.k1.humidity", "b"))->routed == 1);
    CHECK(info("t1").messages == 1);
    CHECK(info("t2").messages == 2);
    auto unbound = call<sdk::status>(k(), [](sdk::kernel& k, auto done) {
        sdk::binding_spec spec;
        spec.exchange = "amq.topic";
        spec.destination = "t2";
        spec.key = "sensors.#";
        k.unbind(spec, std::move(done));
    });
    REQUIRE(unbound.ok());
    CHECK(publish(make_message("amq.topic", "sensors.x.humidity", "c"))->routed == 0);
    CHECK(bind("amq.topic", "missing-queue", "k").code() == errc::not_found);
    CHECK(bind("", "t1", "k").code() == errc::forbidden);
}

TEST_CASE_METHOD(broker_fixture, "prefetch limits unacked deliveries and acks release credit", "[unit][kernel]")
{
    REQUIRE(declare("pf").ok());
    for (int i = 0; i < 5; ++i) {
        REQUIRE(publish(make_message("", "pf", "m" + std::to_string(i)))->routed == 1);
    }
    collecting_sink sink;
    auto sub = subscribe(consumer("pf", 2), sink);
    REQUIRE(sub.ok());
    REQUIRE(eventually([&] { return sink.count() == 2; }));
    std::this_thread::sleep_for(50ms); // nothing beyond the window may arrive
    CHECK(sink.count() == 2);
    CHECK(sink.bodies() == std::vector<std::string>{ "m0", "m1" });
    auto tag = sink.at(0).tag;
    on(1, [&] { (*sub)->ack(tag, false); });
    REQUIRE(eventually([&] { return sink.count() == 3; }));
    CHECK(sink.at(2).msg->body.to_string() == "m2");
    on(1, [&] { (*sub)->ack(sink.at(2).tag, true); }); // cumulative: acks m1 and m2
    REQUIRE(eventually([&] { return sink.count() == 5; }));
    CHECK(info("pf").unacked == 2);
    cancel(std::move(*sub));
}

TEST_CASE_METHOD(broker_fixture, "nack with requeue redelivers with a delivery count", "[unit][kernel]")
{
    REQUIRE(declare("rq").ok());
    REQUIRE(publish(make_message("", "rq", "once"))->routed == 1);
    collecting_sink sink;
    auto sub = subscribe(consumer("rq", 1), sink);
    REQUIRE(sub.ok());
    REQUIRE(eventually([&] { return sink.count() == 1; }));
    on(1, [&] { (*sub)->nack(sink.at(0).tag, false, true); });
    REQUIRE(eventually([&] { return sink.count() == 2; }));
    auto again = sink.at(1);
    CHECK(again.msg->body.to_string() == "once");
    CHECK(again.redelivered);
    CHECK(again.delivery_count == 2);
    on(1, [&] { (*sub)->nack(again.tag, false, false); }); // reject without requeue: gone
    std::this_thread::sleep_for(50ms);
    CHECK(sink.count() == 2);
    auto i = info("rq");
    CHECK(i.messages == 0);
    CHECK(i.unacked == 0);
    cancel(std::move(*sub));
}

TEST_CASE_METHOD(broker_fixture, "a cancelled consumer's unacked messages go to the next consumer", "[unit][kernel]")
{
    REQUIRE(declare("handover").ok());
    for (int i = 0; i < 3; ++i) {
        REQUIRE(publish(make_message("", "handover", std::to_string(i)))->routed == 1);
    }
    collecting_sink first;
    auto s1 = subscribe(consumer("handover", 10), first);
    REQUIRE(s1.ok());
    REQUIRE(eventually([&] { return first.count() == 3; }));
    on(1, [&] { (*s1)->ack(first.at(0).tag, false); });
    cancel(std::move(*s1));
    collecting_sink second;
    auto s2 = subscribe(consumer("handover", 10), second, 0);
    REQUIRE(s2.ok());
    REQUIRE(eventually([&] { return second.count() == 2; }));
    CHECK(second.bodies() == std::vector<std::string>{ "1", "2" });
    CHECK(second.at(0).redelivered);
    cancel(std::move(*s2), 0);
}

TEST_CASE_METHOD(broker_fixture, "competing consumers share a queue", "[unit][kernel]")
{
    REQUIRE(declare("rr").ok());
    collecting_sink a;
    collecting_sink b2;
    auto sa = subscribe(consumer("rr", 1), a, 0);
    auto sb = subscribe(consumer("rr", 1), b2, 1);
    REQUIRE(sa.ok());
    REQUIRE(sb.ok());
    REQUIRE(publish(make_message("", "rr", "x"))->routed == 1);
    REQUIRE(publish(make_message("", "rr", "y"))->routed == 1);
    // prefetch 1 each: one message each
    REQUIRE(eventually([&] { return a.count() == 1 && b2.count() == 1; }));
    cancel(std::move(*sa), 0);
    cancel(std::move(*sb), 1);
}

TEST_CASE_METHOD(broker_fixture, "single active consumer: only the first consumer receives", "[unit][kernel]")
{
    sdk::queue_spec spec;
    spec.name = "sac";
    spec.arguments.push_back({ "x-single-active-consumer", true });
    REQUIRE(declare(spec).ok());
    collecting_sink a;
    collecting_sink b2;
    auto sa = subscribe(consumer("sac"), a);
    REQUIRE(sa.ok());
    auto sb = subscribe(consumer("sac"), b2);
    REQUIRE(sb.ok());
    for (int i = 0; i < 4; ++i) {
        REQUIRE(publish(make_message("", "sac", std::to_string(i)))->routed == 1);
    }
    REQUIRE(eventually([&] { return a.count() == 4; }));
    CHECK(b2.count() == 0);
    cancel(std::move(*sa));
    REQUIRE(eventually([&] { return b2.count() == 4; })); // unacked ones move to the new active one
    cancel(std::move(*sb));
}

TEST_CASE_METHOD(broker_fixture, "exclusive consumers and exclusive queues", "[unit][kernel]")
{
    REQUIRE(declare("xc").ok());
    collecting_sink a;
    auto req = consumer("xc");
    req.exclusive = true;
    auto sa = subscribe(req, a);
    REQUIRE(sa.ok());
    collecting_sink b2;
    auto sb = subscribe(consumer("xc"), b2);
    REQUIRE_FALSE(sb.ok());
    CHECK(sb.error().code() == errc::forbidden);
    cancel(std::move(*sa));

    sdk::queue_spec ex;
    ex.name = "mine";
    ex.exclusive = true;
    ex.owner = 42;
    REQUIRE(declare(ex).ok());
    sdk::queue_spec other = ex;
    other.owner = 43;
    auto locked = declare(other);
    REQUIRE_FALSE(locked.ok());
    CHECK(locked.error().code() == errc::locked);
    auto sub = subscribe(consumer("mine"), b2); // connection 1 is not the owner
    REQUIRE_FALSE(sub.ok());
    CHECK(sub.error().code() == errc::locked);
    k().shard().post([this] { k().release_connection(42); });
    sdk::queue_spec passive;
    passive.name = "mine";
    passive.passive = true;
    passive.owner = 42;
    REQUIRE(eventually([&] {
        auto r = declare(passive);
        return !r.ok() && r.error().code() == errc::not_found;
    }));
}

TEST_CASE_METHOD(broker_fixture, "auto-delete queues go away with their last consumer", "[unit][kernel]")
{
    sdk::queue_spec spec;
    spec.name = "ad";
    spec.auto_delete = true;
    REQUIRE(declare(spec).ok());
    collecting_sink a;
    auto sa = subscribe(consumer("ad"), a);
    REQUIRE(sa.ok());
    cancel(std::move(*sa));
    sdk::queue_spec passive;
    passive.name = "ad";
    passive.passive = true;
    REQUIRE(eventually([&] { return !declare(passive).ok(); }));
}

TEST_CASE_METHOD(broker_fixture, "redeclaring with other properties fails; server-named queues", "[unit][kernel]")
{
    REQUIRE(declare("d1").ok());
    sdk::queue_spec durable;
    durable.name = "d1";
    durable.durable = true;
    auto r = declare(durable);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == errc::precondition_failed);
    CHECK(r.error().message().find("durable") != std::string_view::npos);
    auto named = declare(sdk::queue_spec{});
    REQUIRE(named.ok());
    CHECK(named->name.rfind("amq.gen-", 0) == 0);
    sdk::queue_spec bad_engine;
    bad_engine.name = "e";
    bad_engine.storage = "nosuch";
    CHECK(declare(bad_engine).error().code() == errc::invalid_argument);
}

TEST_CASE_METHOD(broker_fixture,
                 "a queue is owned by the shard of the connection that declared it first",
                 "[unit][kernel]")
{
    auto shard_of = [&](const std::string& name) {
        auto all = b->admin().list_queues("/");
        REQUIRE(all.ok());
        for (const auto& q : *all) {
            if (q.name == name) {
                return q.shard;
            }
        }
        FAIL("no queue " << name);
        return 0u;
    };
    for (unsigned shard = 0; shard < 2; ++shard) {
        for (int i = 0; i < 4; ++i) {
            const auto name = "local-" + std::to_string(shard) + "-" + std::to_string(i);
            sdk::queue_spec spec;
            spec.name = name;
            REQUIRE(declare(spec, shard).ok());
            CHECK(shard_of(name) == shard);
            REQUIRE(declare(spec, 1 - shard).ok()); // a redeclare elsewhere does not move it
            CHECK(shard_of(name) == shard);
        }
    }
    // Through the admin API (no connection), queues spread over the shards by name.
    std::set<unsigned> used;
    for (int i = 0; i < 16; ++i) {
        sdk::queue_spec spec;
        spec.name = "admin-" + std::to_string(i);
        REQUIRE(b->admin().declare_queue(spec).ok());
        used.insert(shard_of(spec.name));
    }
    CHECK(used.size() == 2);
}

TEST_CASE_METHOD(broker_fixture,
                 "a fan-out over queues of both shards reaches each once, confirmed when all have it",
                 "[unit][kernel]")
{
    REQUIRE(declare_exchange("spread", "fanout").ok());
    std::vector<std::string> names;
    for (unsigned shard = 0; shard < 2; ++shard) {
        for (int i = 0; i < 3; ++i) {
            sdk::queue_spec spec;
            spec.name = "spread-" + std::to_string(shard) + "-" + std::to_string(i);
            REQUIRE(declare(spec, shard).ok());
            REQUIRE(bind("spread", spec.name, "").ok());
            names.push_back(spec.name);
        }
    }
    // From each shard: its own three queues are appended to there, the other three on the
    // other shard.
    for (unsigned from = 0; from < 2; ++from) {
        for (int m = 0; m < 5; ++m) {
            auto ack = publish(make_message("spread", "", "m" + std::to_string(m)), from);
            REQUIRE(ack.ok());
            CHECK(ack->routed == 6);
            CHECK(ack->reached >= sdk::ack_level::stored);
            CHECK_FALSE(ack->home_shard);
        }
    }
    for (const auto& name : names) {
        CHECK(info(name).messages == 10);
    }
    for (int m = 0; m < 5; ++m) {
        auto got = get("spread-1-2");
        REQUIRE(got.ok());
        REQUIRE(*got);
        CHECK((*got)->d.msg->body.to_string() == "m" + std::to_string(m)); // in publish order
    }
}

TEST_CASE_METHOD(broker_fixture, "deleting a queue cancels its consumers; purge drops ready messages", "[unit][kernel]")
{
    REQUIRE(declare("p1").ok());
    for (int i = 0; i < 3; ++i) {
        REQUIRE(publish(make_message("", "p1", "x"))->routed == 1);
    }
    auto purged = call<sdk::result<std::uint64_t>>(
      k(), [](sdk::kernel& k, auto done) { k.purge_queue("/", "p1", std::move(done)); });
    REQUIRE(purged.ok());
    CHECK(*purged == 3);
    CHECK(info("p1").messages == 0);

    collecting_sink a;
    auto sa = subscribe(consumer("p1"), a);
    REQUIRE(sa.ok());
    auto in_use = call<sdk::result<std::uint64_t>>(
      k(), [](sdk::kernel& k, auto done) { k.delete_queue("/", "p1", true, false, std::move(done)); });
    CHECK(in_use.error().code() == errc::precondition_failed);
    auto deleted = call<sdk::result<std::uint64_t>>(
      k(), [](sdk::kernel& k, auto done) { k.delete_queue("/", "p1", false, false, std::move(done)); });
    REQUIRE(deleted.ok());
    REQUIRE(eventually([&] {
        std::lock_guard lk(a.mu);
        return a.cancel_reason.has_value();
    }));
    CHECK(a.cancel_reason->code() == errc::not_found);
    cancel(std::move(*sa));
}

TEST_CASE_METHOD(broker_fixture, "durable confirms wait for the engine's flush", "[unit][kernel]")
{
    REQUIRE(declare("dur").ok());
    auto ack = publish(make_message("", "dur", "x"), 0, sdk::ack_level::durable);
    REQUIRE(ack.ok());
    CHECK(ack->reached == sdk::ack_level::durable);
}

TEST_CASE_METHOD(broker_fixture, "streams: partitions, offsets, timestamps, groups", "[unit][kernel]")
{
    sdk::stream_spec spec;
    spec.name = "events";
    spec.partitions = 3;
    auto s = declare_stream(spec);
    REQUIRE(s.ok());
    CHECK(s->partitions == 3);

    for (int round = 0; round < 2; ++round) {
        sdk::record_batch batch;
        for (int i = 0; i < 10; ++i) {
            batch.records.push_back(make_message("", "", "r" + std::to_string(round * 10 + i)));
        }
        auto r = call<sdk::result<sdk::offset_range>>(k(1), [batch](sdk::kernel& k, auto done) mutable {
            k.append("/", "events", sdk::partition_id(1), std::move(batch), sdk::ack_level::stored, std::move(done));
        });
        REQUIRE(r.ok());
        CHECK(r->first == sdk::offset(round * 10));
        CHECK(r->count() == 10);
    }
    auto fetched = call<sdk::result<sdk::record_batch>>(k(), [](sdk::kernel& k, auto done) {
        k.fetch(
          "/", "events", sdk::partition_id(1), sdk::offset(15), 1 << 20, sdk::batch_form::messages, std::move(done));
    });
    REQUIRE(fetched.ok());
    CHECK(fetched->base_offset == sdk::offset(15));
    REQUIRE(fetched->size() == 5);
    CHECK(fetched->records[0]->body.to_string() == "r15");

    auto offs = call<sdk::result<sdk::log_offsets>>(
      k(), [](sdk::kernel& k, auto done) { k.stream_offsets("/", "events", sdk::partition_id(1), std::move(done)); });
    REQUIRE(offs.ok());
    CHECK(offs->next == sdk::offset(20));
    auto missing = call<sdk::result<sdk::log_offsets>>(
      k(), [](sdk::kernel& k, auto done) { k.stream_offsets("/", "events", sdk::partition_id(7), std::move(done)); });
    CHECK(missing.error().code() == errc::not_found);

    auto ts = call<sdk::result<sdk::offset>>(k(), [](sdk::kernel& k, auto done) {
        k.offset_for_timestamp("/", "events", sdk::partition_id(1), sdk::timestamp_ms(0), std::move(done));
    });
    REQUIRE(ts.ok());
    CHECK(*ts == sdk::offset(0));

    auto none = call<sdk::result<std::optional<sdk::offset>>>(k(), [](sdk::kernel& k, auto done) {
        k.committed_offset("/", "g1", "events", sdk::partition_id(1), std::move(done));
    });
    REQUIRE(none.ok());
    CHECK_FALSE(none->has_value());
    auto committed = call<sdk::status>(k(), [](sdk::kernel& k, auto done) {
        k.commit_offset("/", "g1", "events", sdk::partition_id(1), sdk::offset(12), std::move(done));
    });
    REQUIRE(committed.ok());
    auto back = call<sdk::result<std::optional<sdk::offset>>>(k(1), [](sdk::kernel& k, auto done) {
        k.committed_offset("/", "g1", "events", sdk::partition_id(1), std::move(done));
    });
    REQUIRE(back.ok());
    REQUIRE(back->has_value());
    CHECK(**back == sdk::offset(12));
}

TEST_CASE_METHOD(broker_fixture,
                 "a group's committed offsets are deleted on every stream and no others",
                 "[unit][kernel]")
{
    sdk::stream_spec one;
    one.name = "orders";
    one.partitions = 2;
    REQUIRE(declare_stream(one).ok());
    // Group "a/b"'s offsets on "orders" share group "a"'s key prefix and must stay.
    auto commit = [&](std::string group, std::string stream, int partition) {
        auto st = call<sdk::status>(k(), [group, stream, partition](sdk::kernel& k, auto done) {
            k.commit_offset("/", group, stream, sdk::partition_id(partition), sdk::offset(5), std::move(done));
        });
        REQUIRE(st.ok());
    };
    commit("a", "orders", 0);
    commit("a", "orders", 1);
    commit("a/b", "orders", 0);
    commit("other", "orders", 0);
    auto committed = [&](std::string group, std::string stream) {
        auto r = call<sdk::result<std::optional<sdk::offset>>>(k(1), [group, stream](sdk::kernel& k, auto done) {
            k.committed_offset("/", group, stream, sdk::partition_id(0), std::move(done));
        });
        REQUIRE(r.ok());
        return r->has_value();
    };
    auto deleted = call<sdk::result<std::uint64_t>>(
      k(1), [](sdk::kernel& k, auto done) { k.delete_group_offsets("/", "a", std::move(done)); });
    REQUIRE(deleted.ok());
    CHECK(*deleted == 2);
    CHECK_FALSE(committed("a", "orders"));
    CHECK(committed("a/b", "orders"));
    CHECK(committed("other", "orders"));
    auto again = call<sdk::result<std::uint64_t>>(
      k(), [](sdk::kernel& k, auto done) { k.delete_group_offsets("/", "a", std::move(done)); });
    REQUIRE(again.ok());
    CHECK(*again == 0);
    auto no_vhost = call<sdk::result<std::uint64_t>>(
      k(), [](sdk::kernel& k, auto done) { k.delete_group_offsets("nowhere", "a", std::move(done)); });
    CHECK(no_vhost.error().code() == errc::not_found);
}

TEST_CASE_METHOD(broker_fixture, "a stream grows by partitions that take appends at once", "[unit][kernel]")
{
    sdk::stream_spec spec;
    spec.name = "growing";
    spec.partitions = 2;
    REQUIRE(declare_stream(spec).ok());
    auto grow = [&](std::int32_t partitions) {
        return call<sdk::result<sdk::stream_info>>(k(1), [partitions](sdk::kernel& k, auto done) {
            k.add_stream_partitions("/", "growing", partitions, std::move(done));
        });
    };
    auto grown = grow(5);
    REQUIRE(grown.ok());
    CHECK(grown->partitions == 5);
    CHECK(grow(5).error().code() == errc::invalid_argument);
    CHECK(grow(3).error().code() == errc::invalid_argument);
    auto missing = call<sdk::result<sdk::stream_info>>(
      k(), [](sdk::kernel& k, auto done) { k.add_stream_partitions("/", "absent", 4, std::move(done)); });
    CHECK(missing.error().code() == errc::not_found);
    for (unsigned shard : { 0u, 1u }) {
        sdk::record_batch batch;
        batch.records.push_back(make_message("", "", "in the new partition"));
        auto r = call<sdk::result<sdk::offset_range>>(k(shard), [batch](sdk::kernel& k, auto done) mutable {
            k.append("/", "growing", sdk::partition_id(4), std::move(batch), sdk::ack_level::stored, std::move(done));
        });
        REQUIRE(r.ok());
    }
    sdk::stream_spec passive;
    passive.name = "growing";
    passive.passive = true;
    CHECK(declare_stream(passive)->partitions == 5);
}

TEST_CASE_METHOD(broker_fixture,
                 "a stream's retention and compaction are replaced and reported by a passive declare",
                 "[unit][kernel]")
{
    sdk::stream_spec spec;
    spec.name = "kept";
    spec.retention_ms = 60000;
    auto made = declare_stream(spec);
    REQUIRE(made.ok());
    CHECK(made->retention_ms == std::optional<std::int64_t>(60000));
    CHECK_FALSE(made->retention_bytes.has_value());
    auto set = call<sdk::result<sdk::stream_info>>(k(1), [](sdk::kernel& k, auto done) {
        sdk::stream_config c;
        c.retention_bytes = std::int64_t(1) << 20;
        c.compact = true;
        c.delete_retention_ms = 5000;
        k.set_stream_config("/", "kept", c, std::move(done));
    });
    REQUIRE(set.ok());
    CHECK_FALSE(set->retention_ms.has_value());
    CHECK(set->retention_bytes == std::optional<std::int64_t>(1 << 20));
    CHECK(set->compact);
    CHECK(set->delete_retention_ms == std::optional<std::int64_t>(5000));
    sdk::stream_spec passive;
    passive.name = "kept";
    passive.passive = true;
    auto seen = declare_stream(passive);
    REQUIRE(seen.ok());
    CHECK_FALSE(seen->retention_ms.has_value());
    CHECK(seen->retention_bytes == std::optional<std::int64_t>(1 << 20));
    CHECK(seen->compact);
    auto missing = call<sdk::result<sdk::stream_info>>(k(), [](sdk::kernel& k, auto done) {
        k.set_stream_config("/", "absent", sdk::stream_config{}, std::move(done));
    });
    CHECK(missing.error().code() == errc::not_found);
}

TEST_CASE_METHOD(broker_fixture, "an exchange feeds a stream; per-key order; stream consumers", "[unit][kernel]")
{
    sdk::stream_spec spec;
    spec.name = "feed";
    spec.partitions = 1;
    REQUIRE(declare_stream(spec).ok());
    sdk::binding_spec b;
    b.exchange = "amq.topic";
    b.destination = "feed";
    b.destination_is_stream = true;
    b.key = "orders.#";
    REQUIRE(bind_spec(b).ok());
    REQUIRE(publish(make_message("amq.topic", "invoices.eu", "not for the stream"))->routed == 0);
    for (int i = 0; i < 5; ++i) {
        REQUIRE(publish(make_message("amq.topic", "orders.eu", "o" + std::to_string(i), "customer-1"))->routed == 1);
    }
    collecting_sink sink;
    auto req = consumer("feed", 100);
    req.stream = sdk::stream_start{ sdk::stream_start::kind::at_offset, sdk::offset(2), {} };
    auto sub = subscribe(req, sink);
    REQUIRE(sub.ok());
    REQUIRE(eventually([&] { return sink.count() == 3; }));
    CHECK(sink.bodies() == std::vector<std::string>{ "o2", "o3", "o4" });
    CHECK(sink.at(0).position == sdk::offset(2));
    REQUIRE(publish(make_message("amq.topic", "orders.us", "o5", "customer-1"))->routed == 1);
    REQUIRE(eventually([&] { return sink.count() == 4; }));
    cancel(std::move(*sub));
}

namespace {

/// Appends one record of 100 bytes to partition 0 of `stream`.
void append_hundred_bytes(broker_fixture& f, const std::string& stream)
{
    sdk::record_batch batch;
    batch.records.push_back(make_message("", "", std::string(100, 'x')));
    REQUIRE(call<sdk::result<sdk::offset_range>>(f.k(), [stream, batch](sdk::kernel& k, auto done) mutable {
                k.append("/", stream, sdk::partition_id(0), std::move(batch), sdk::ack_level::stored, std::move(done));
            }).ok());
}

/// Whether partition 0 of `stream` comes to start past offset 30 within 5 s.
bool trimmed_past_30(broker_fixture& f, const std::string& stream)
{
    return eventually(
      [&] {
          auto o = call<sdk::result<sdk::log_offsets>>(f.k(), [stream](sdk::kernel& k, auto done) {
              k.stream_offsets("/", stream, sdk::partition_id(0), std::move(done));
          });
          return o.ok() && o->start > sdk::offset(30);
      },
      5s);
}

} // namespace

TEST_CASE_METHOD(broker_fixture, "size retention trims a stream's oldest records", "[unit][kernel]")
{
    sdk::stream_spec spec;
    spec.name = "small";
    spec.retention_bytes = 2000;
    REQUIRE(declare_stream(spec).ok());
    for (int i = 0; i < 50; ++i) {
        append_hundred_bytes(*this, "small");
    }
    REQUIRE(trimmed_past_30(*this, "small"));
}

TEST_CASE_METHOD(broker_fixture,
                 "size retention turned on later counts what the stream held before it",
                 "[unit][kernel]")
{
    // Without size retention a stream keeps no per-batch size marks. Turning it on must count
    // the records already there: neither drop them while all is within the limit, nor keep
    // them for good once it is exceeded.
    sdk::stream_spec spec;
    spec.name = "grown";
    REQUIRE(declare_stream(spec).ok());
    for (int i = 0; i < 10; ++i) {
        append_hundred_bytes(*this, "grown");
    }
    auto set = call<sdk::result<sdk::stream_info>>(k(), [](sdk::kernel& k, auto done) {
        sdk::stream_config c;
        c.retention_bytes = 2000;
        k.set_stream_config("/", "grown", c, std::move(done));
    });
    REQUIRE(set.ok());
    append_hundred_bytes(*this, "grown");
    std::this_thread::sleep_for(1500ms); // a retention tick: 11 records are within 2000 bytes
    auto start = [&] {
        return call<sdk::result<sdk::log_offsets>>(k(),
                                                   [](sdk::kernel& k, auto done) {
                                                       k.stream_offsets(
                                                         "/", "grown", sdk::partition_id(0), std::move(done));
                                                   })
          ->start;
    };
    CHECK(start() == sdk::offset(0));
    for (int i = 0; i < 40; ++i) {
        append_hundred_bytes(*this, "grown");
    }
    REQUIRE(trimmed_past_30(*this, "grown"));
}

TEST_CASE_METHOD(broker_fixture, "time retention drops records older than retention_ms", "[unit][kernel]")
{
    sdk::stream_spec spec;
    spec.name = "short-lived";
    spec.retention_ms = 200;
    REQUIRE(declare_stream(spec).ok());
    sdk::record_batch batch;
    for (int i = 0; i < 10; ++i) {
        batch.records.push_back(make_message("", "", "old"));
    }
    REQUIRE(call<sdk::result<sdk::offset_range>>(k(), [batch](sdk::kernel& k, auto done) mutable {
                k.append(
                  "/", "short-lived", sdk::partition_id(0), std::move(batch), sdk::ack_level::stored, std::move(done));
            }).ok());
    auto offsets = [&] {
        return *call<sdk::result<sdk::log_offsets>>(k(), [](sdk::kernel& k, auto done) {
            k.stream_offsets("/", "short-lived", sdk::partition_id(0), std::move(done));
        });
    };
    CHECK(offsets().start == sdk::offset(0));
    // The retention pass runs every second; the records are then older than 200 ms.
    REQUIRE(eventually([&] { return offsets().start == sdk::offset(10); }, 5s));
    CHECK(offsets().next == sdk::offset(10));
}

TEST_CASE("a raised disk alarm reaches every shard's watchers and refuses publishes", "[unit][kernel][disk]")
{
    auto config = test_config();
    config.data_dir = ".";
    config.disk_free_limit_bytes = std::uint64_t{ 1 } << 62; // more than any disk has free
    kernel::log_registry logs{ "warn" };
    kernel::plugin_registry plugins{ config.plugin_dirs };
    REQUIRE(plugins.load_configured(config).ok());
    auto created = kernel::broker::create(config, plugins, logs);
    REQUIRE(created.ok());
    auto& b = **created;
    // Watches are taken on each shard before it serves (no shard thread runs yet).
    std::atomic<int> heard{ 0 };
    std::vector<std::unique_ptr<sdk::alarm_watch>> watches;
    for (unsigned i = 0; i < b.shard_count(); ++i) {
        CHECK_FALSE(b.facade(i).alarms().disk_space);
        watches.push_back(b.facade(i).watch_alarms([&heard](sdk::resource_alarms now) {
            if (now.disk_space) {
                ++heard;
            }
        }));
        REQUIRE(watches.back() != nullptr);
    }
    REQUIRE(b.start().ok());
    CHECK(eventually([&] { return heard.load() == static_cast<int>(b.shard_count()); }));
    for (unsigned i = 0; i < b.shard_count(); ++i) {
        auto alarmed = call<bool>(b.facade(i), [](sdk::kernel& k, auto done) { done(k.alarms().disk_space); });
        CHECK(alarmed);
    }
    auto refused = call<sdk::result<sdk::publish_ack>>(b.facade(1), [](sdk::kernel& k, auto done) {
        sdk::publish_request r;
        r.msg = make_message("", "anything", "body");
        k.publish(std::move(r), std::move(done));
    });
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().code() == errc::resource_exhausted);
    CHECK(std::string(refused.error().message()).find("publishing is blocked: disk free space") != std::string::npos);
    // Handles are dropped on their own shards, as sessions do.
    for (unsigned i = 0; i < b.shard_count(); ++i) {
        call<bool>(b.facade(i), [&watches, i](sdk::kernel&, auto done) {
            watches[i].reset();
            done(true);
        });
    }
    b.stop(1s);
}

TEST_CASE("non-durable queues use storage.transient unless they name an engine", "[unit][kernel]")
{
    plexus::tests::temp_dir dir;
    auto config = test_config();
    config.data_dir = dir.path.string();
    config.storage_engines = { { "file", "{}" }, { "memory", "{}" } };
    config.default_storage = "file";
    config.transient_storage = "memory";
    broker_fixture f(config);
    sdk::queue_spec transient;
    transient.name = "transient";
    sdk::queue_spec durable;
    durable.name = "durable";
    durable.durable = true;
    sdk::queue_spec chosen;
    chosen.name = "chosen";
    chosen.storage = "file";
    for (const auto* spec : { &transient, &durable, &chosen }) {
        REQUIRE(f.declare(*spec).ok());
    }
    auto all = f.b->admin().list_queues("/");
    REQUIRE(all.ok());
    std::map<std::string, std::string> engine_of;
    for (const auto& q : *all) {
        engine_of[q.name] = q.storage;
    }
    CHECK(engine_of["transient"] == "memory");
    CHECK(engine_of["durable"] == "file");
    CHECK(engine_of["chosen"] == "file"); // an engine asked for wins
}

TEST_CASE("acks out of order stay acked across a restart of a durable queue", "[unit][kernel][restart]")
{
    plexus::tests::temp_dir dir;
    auto config = test_config();
    config.data_dir = dir.path.string();
    config.storage_engines = { { "file", "{}" } };
    config.default_storage = "file";
    sdk::queue_spec durable;
    durable.name = "orders";
    durable.durable = true;
    {
        broker_fixture f(config);
        REQUIRE(f.declare(durable).ok());
        for (int i = 0; i < 6; ++i) {
            REQUIRE(f.publish(make_message("", "orders", "m" + std::to_string(i))).ok());
        }
        collecting_sink sink;
        auto sub = f.subscribe(consumer("orders", 6), sink);
        REQUIRE(sub.ok());
        REQUIRE(eventually([&] { return sink.count() == 6; }));
        // m1, m3 and m4 acked; m0, m2 and m5 not: the mark cannot move past m0.
        f.on(1, [&] {
            (*sub)->ack(sink.at(1).tag, false);
            (*sub)->ack(sink.at(3).tag, false);
            (*sub)->ack(sink.at(4).tag, false);
        });
        f.cancel(std::move(*sub));
    } // a clean stop saves the acks
    broker_fixture again(config);
    collecting_sink sink;
    auto sub = again.subscribe(consumer("orders"), sink);
    REQUIRE(sub.ok());
    REQUIRE(eventually([&] { return sink.count() == 3; }));
    std::this_thread::sleep_for(50ms); // nothing acked may follow
    CHECK(sink.bodies() == std::vector<std::string>{ "m0", "m2", "m5" });
    CHECK(sink.at(0).redelivered);
    again.cancel(std::move(*sub));
}

TEST_CASE_METHOD(broker_fixture, "consumer priorities: higher ones are served while they have credit", "[unit][kernel]")
{
    REQUIRE(declare("prio-consumers").ok());
    collecting_sink high;
    collecting_sink low;
    auto high_req = consumer("prio-consumers", 2);
    high_req.priority = 10;
    auto low_req = consumer("prio-consumers", 100);
    auto h = subscribe(low_req, low); // subscribed first: order does not decide
    auto s = subscribe(high_req, high);
    REQUIRE(h.ok());
    REQUIRE(s.ok());
    for (int i = 0; i < 5; ++i) {
        REQUIRE(publish(make_message("", "prio-consumers", "m" + std::to_string(i)))->routed == 1);
    }
    // The high-priority consumer takes what its window holds; the rest goes to the low one.
    REQUIRE(eventually([&] { return high.count() + low.count() == 5; }));
    CHECK(high.bodies() == std::vector<std::string>{ "m0", "m1" });
    CHECK(low.bodies() == std::vector<std::string>{ "m2", "m3", "m4" });
    on(1, [&] { (*s)->ack(high.at(1).tag, true); });
    // Published from the acking shard, so the ack reaches the queue's shard first.
    REQUIRE(publish(make_message("", "prio-consumers", "m5"), 1)->routed == 1);
    REQUIRE(eventually([&] { return high.count() == 3; }));
    CHECK(high.at(2).msg->body.to_string() == "m5");
    CHECK(low.count() == 3);
    cancel(std::move(*s));
    cancel(std::move(*h));
}

TEST_CASE_METHOD(broker_fixture, "plugin stores are spaces of their own in the metadata store", "[unit][kernel]")
{
    auto& a = k(0).plugin_store("space-a");
    CHECK(&k(1).plugin_store("space-a") == &a); // one store per name, whichever shard asks
    auto& b = k(1).plugin_store("space-b");
    std::promise<sdk::status> written;
    std::vector<sdk::kv_store::write> writes;
    writes.push_back({ "x/1", std::string("one") });
    writes.push_back({ "x/2", std::string("two") });
    a.apply(std::move(writes), [&](sdk::status st) { written.set_value(st); });
    REQUIRE(written.get_future().get().ok());
    CHECK(a.get("x/1")->value() == "one");
    CHECK_FALSE(b.get("x/1")->has_value());
    auto rows = a.scan("x/");
    REQUIRE(rows.ok());
    REQUIRE(rows->size() == 2);
    CHECK((*rows)[0].first == "x/1"); // the space's own keys, without its prefix
    CHECK(b.scan("")->empty());
}
