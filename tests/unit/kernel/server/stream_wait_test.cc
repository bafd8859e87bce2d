// kernel::wait_for_records: how a long-polling Kafka Fetch learns of an append without
// polling. The wait is answered by the append that makes the awaited record fetchable, by its
// max_wait, or by the deletion of the stream; never before.
#include "broker_fixture.h"

#include <future>
#include <thread>

using namespace plexus_test;

namespace {

/// Starts a wait on partition 0 of `stream` from `from` on shard 0; the future holds its answer.
std::future<sdk::result<sdk::log_offsets>> start_wait(sdk::kernel& k,
                                                      std::string stream,
                                                      sdk::offset from,
                                                      std::chrono::milliseconds max_wait)
{
    auto p = std::make_shared<std::promise<sdk::result<sdk::log_offsets>>>();
    auto f = p->get_future();
    k.shard().post([&k, p, stream = std::move(stream), from, max_wait] {
        k.wait_for_records("/", stream, sdk::partition_id(0), from, max_wait, [p](sdk::result<sdk::log_offsets> r) {
            p->set_value(std::move(r));
        });
    });
    return f;
}

sdk::result<sdk::offset_range> append_one(sdk::kernel& k, const std::string& stream, std::string body)
{
    sdk::record_batch batch;
    batch.records.push_back(make_message("", "", std::move(body)));
    return call<sdk::result<sdk::offset_range>>(k, [batch, stream](sdk::kernel& k, auto done) mutable {
        k.append("/", stream, sdk::partition_id(0), std::move(batch), sdk::ack_level::stored, std::move(done));
    });
}

sdk::stream_spec named(std::string name)
{
    sdk::stream_spec spec;
    spec.name = std::move(name);
    return spec;
}

} // namespace

TEST_CASE_METHOD(broker_fixture, "a wait for a record already there answers at once", "[unit][kernel][stream]")
{
    REQUIRE(declare_stream(named("ready")).ok());
    REQUIRE(append_one(k(), "ready", "a").ok());
    auto f = start_wait(k(), "ready", sdk::offset(0), std::chrono::minutes(1));
    REQUIRE(f.wait_for(5s) == std::future_status::ready);
    auto r = f.get();
    REQUIRE(r.ok());
    CHECK(r->next == sdk::offset(1));
}

TEST_CASE_METHOD(broker_fixture, "an append from another shard wakes a wait for its record", "[unit][kernel][stream]")
{
    REQUIRE(declare_stream(named("woken")).ok());
    REQUIRE(append_one(k(), "woken", "a").ok());
    // Waiting for offset 1 while only offset 0 exists: a minute's max_wait, so only the
    // append can answer within the test's bounds.
    auto f = start_wait(k(), "woken", sdk::offset(1), std::chrono::minutes(1));
    CHECK(f.wait_for(200ms) == std::future_status::timeout);
    REQUIRE(append_one(k(1), "woken", "b").ok());
    REQUIRE(f.wait_for(5s) == std::future_status::ready);
    auto r = f.get();
    REQUIRE(r.ok());
    CHECK(r->next == sdk::offset(2));
}

TEST_CASE_METHOD(broker_fixture,
                 "a wait nothing answers ends at its max_wait with the offsets",
                 "[unit][kernel][stream]")
{
    REQUIRE(declare_stream(named("quiet")).ok());
    const auto began = std::chrono::steady_clock::now();
    auto f = start_wait(k(), "quiet", sdk::offset(0), 100ms);
    REQUIRE(f.wait_for(5s) == std::future_status::ready);
    CHECK(std::chrono::steady_clock::now() - began >= 100ms);
    auto r = f.get();
    REQUIRE(r.ok());
    CHECK(r->next == sdk::offset(0));
    CHECK(r->start == sdk::offset(0));
}

TEST_CASE_METHOD(broker_fixture, "deleting a stream answers its waits with not_found", "[unit][kernel][stream]")
{
    REQUIRE(declare_stream(named("doomed")).ok());
    auto f = start_wait(k(), "doomed", sdk::offset(0), std::chrono::minutes(1));
    CHECK(f.wait_for(100ms) == std::future_status::timeout);
    REQUIRE(
      call<sdk::status>(k(), [](sdk::kernel& k, auto done) { k.delete_stream("/", "doomed", std::move(done)); }).ok());
    REQUIRE(f.wait_for(5s) == std::future_status::ready);
    CHECK(f.get().error().code() == errc::not_found);
}

TEST_CASE_METHOD(broker_fixture, "a wait on an unknown partition is not_found", "[unit][kernel][stream]")
{
    auto f = start_wait(k(), "no-such-stream", sdk::offset(0), std::chrono::minutes(1));
    REQUIRE(f.wait_for(5s) == std::future_status::ready);
    CHECK(f.get().error().code() == errc::not_found);
}
