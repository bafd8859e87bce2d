// Idempotent producer state: in-order batches are appended, a retry of an appended batch is a
// duplicate with its offset, a gap is out of order, an older epoch is fenced.
#include "producer_sequences.h"

#include <catch2/catch.hpp>

#include <map>
#include <optional>

using namespace plexus::protocol::kafka;
using verdict = producer_sequences::verdict;

namespace {

namespace sdk = plexus::sdk;

/// A producer id as new_producer_id() answers it (inline, for the stores below).
sdk::result<std::int64_t> next_id(producer_sequences& s)
{
    std::optional<sdk::result<std::int64_t>> got;
    s.new_producer_id([&got](sdk::result<std::int64_t> id) { got = std::move(id); });
    REQUIRE(got);
    return *got;
}

/// The broker's plugin store as a map, completing inline; `fail` makes every write fail.
class map_store final : public sdk::kv_store
{
  public:
    std::map<std::string, std::string> rows;
    bool fail = false;
    std::size_t writes = 0;
    /// When set, writes wait here until the test completes them (a store's fsync in flight).
    bool hold = false;
    std::vector<std::pair<std::vector<write>, sdk::callback<void(sdk::status)>>> held;

    void release()
    {
        auto pending = std::move(held);
        held.clear();
        hold = false;
        for (auto& [ws, done] : pending) {
            apply(std::move(ws), std::move(done));
        }
    }

    sdk::result<std::optional<std::string>> get(std::string_view key) noexcept override
    {
        auto it = rows.find(std::string(key));
        return it == rows.end() ? std::optional<std::string>() : std::optional<std::string>(it->second);
    }
    sdk::result<std::vector<std::pair<std::string, std::string>>> scan(std::string_view prefix) noexcept override
    {
        std::vector<std::pair<std::string, std::string>> out;
        for (const auto& [k, v] : rows) {
            if (k.starts_with(prefix)) {
                out.emplace_back(k, v);
            }
        }
        return out;
    }
    void apply(std::vector<write> ws, sdk::callback<void(sdk::status)> done) noexcept override
    {
        if (hold) {
            held.emplace_back(std::move(ws), std::move(done));
            return;
        }
        if (fail) {
            done(sdk::status(sdk::errc::io_error, "the disk is gone"));
            return;
        }
        for (auto& w : ws) {
            ++writes;
            if (w.value) {
                rows[w.key] = *w.value;
            } else {
                rows.erase(w.key);
            }
        }
        done(sdk::status{});
    }
};

struct quiet_logger final : sdk::logger
{
    bool enabled(sdk::log_level) const noexcept override { return false; }
    void write(sdk::log_level, std::string_view) noexcept override {}
};

constexpr std::int64_t now = 1'700'000'000'000;

} // namespace

TEST_CASE("sequence numbers admit each batch once and in order", "[kafka][idempotence]")
{
    producer_sequences s(100);
    auto id = *next_id(s);
    CHECK(id == 100);
    CHECK(*next_id(s) == 101);
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

TEST_CASE("producer ids are reserved in the store and never handed out again after a restart", "[kafka][idempotence]")
{
    map_store store;
    quiet_logger log;
    std::int64_t last = 0;
    {
        producer_sequences before(5000);
        before.attach(store, "/", log, now);
        for (int i = 0; i < 3; ++i) {
            auto id = next_id(before);
            REQUIRE(id.ok());
            CHECK(*id >= 5000);
            CHECK(*id > last);
            last = *id;
        }
        CHECK(store.writes == 1); // one block reserved for the three
    }
    // A broker whose clock went back: the store, not the seed, decides.
    producer_sequences after(1);
    after.attach(store, "/", log, now);
    auto id = next_id(after);
    REQUIRE(id.ok());
    CHECK(*id > last);
    // Another vhost's listener has its own reservation.
    producer_sequences elsewhere(1);
    elsewhere.attach(store, "/other", log, now);
    CHECK(*next_id(elsewhere) == 1);
}

TEST_CASE("no producer id is handed out when its reservation cannot be stored", "[kafka][idempotence]")
{
    map_store store;
    store.fail = true;
    quiet_logger log;
    producer_sequences s(1);
    s.attach(store, "/", log, now);
    auto refused = next_id(s);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().code() == sdk::errc::io_error);
    store.fail = false;
    CHECK(next_id(s).ok());
}

TEST_CASE("sequence state survives a restart: a retried batch is not appended twice", "[kafka][idempotence]")
{
    map_store store;
    quiet_logger log;
    producer_sequences::batch_key first{ 7, 2, 0, 3 };
    producer_sequences::batch_key second{ 7, 2, 3, 2 };
    producer_sequences::batch_key in_flight{ 7, 2, 5, 1 };
    {
        producer_sequences before(1);
        before.attach(store, "/", log, now);
        REQUIRE(before.check("orders", 1, first).v == verdict::append);
        before.appended("orders", 1, first, 100, now);
        REQUIRE(before.check("orders", 1, second).v == verdict::append);
        before.appended("orders", 1, second, 103, now);
        REQUIRE(before.check("orders", 1, in_flight).v == verdict::append); // never completes
    }
    producer_sequences after(1);
    after.attach(store, "/", log, now + 1000);
    auto dup = after.check("orders", 1, second);
    CHECK(dup.v == verdict::duplicate);
    CHECK(dup.offset == 103);
    CHECK(after.check("orders", 1, first).offset == 100);
    CHECK(after.check("orders", 1, { 7, 2, 9, 1 }).v == verdict::out_of_order);
    CHECK(after.check("orders", 1, { 7, 1, 5, 1 }).v == verdict::fenced);
    // The batch in flight at the restart was not stored as appended: its retry is new.
    CHECK(after.check("orders", 1, in_flight).v == verdict::append);
    // Another partition, another vhost: no state.
    CHECK(after.check("orders", 0, second).v == verdict::append);
    producer_sequences other_vhost(1);
    other_vhost.attach(store, "/other", log, now);
    CHECK(other_vhost.check("orders", 1, second).v == verdict::append);
}

TEST_CASE("stored sequence state expires after a day and an undecodable one is skipped", "[kafka][idempotence]")
{
    map_store store;
    quiet_logger log;
    producer_sequences::batch_key b{ 9, 0, 0, 1 };
    {
        producer_sequences before(1);
        before.attach(store, "/", log, now);
        REQUIRE(before.check("t", 0, b).v == verdict::append);
        before.appended("t", 0, b, 5, now);
        REQUIRE(before.check("u", 0, b).v == verdict::append);
        before.appended("u", 0, b, 6, now + 2 * 86'400'000);
    }
    store.rows[producer_state_key("/", { .producer_id = 9, .topic = "v", .partition = 0 })] = "garbage";
    producer_sequences after(1);
    after.attach(store, "/", log, now + 2 * 86'400'000);
    CHECK(after.check("t", 0, b).v == verdict::append);    // expired: forgotten
    CHECK(after.check("u", 0, b).v == verdict::duplicate); // fresh enough
    CHECK(after.check("v", 0, b).v == verdict::append);    // skipped
    CHECK(store.rows.count(producer_state_key("/", { .producer_id = 9, .topic = "t", .partition = 0 })) == 0);
}

TEST_CASE("a failed append forgets the stored state too", "[kafka][idempotence]")
{
    map_store store;
    quiet_logger log;
    producer_sequences::batch_key b{ 3, 0, 0, 1 };
    producer_sequences::batch_key next{ 3, 0, 1, 1 };
    {
        producer_sequences before(1);
        before.attach(store, "/", log, now);
        REQUIRE(before.check("t", 0, b).v == verdict::append);
        before.appended("t", 0, b, 0, now);
        REQUIRE(before.check("t", 0, next).v == verdict::append);
        before.appended("t", 0, next, -1, now);
    }
    producer_sequences after(1);
    after.attach(store, "/", log, now);
    CHECK(after.check("t", 0, b).v == verdict::append);
}

TEST_CASE("producer state keys and values decode to what was encoded and refuse garbage", "[kafka][idempotence]")
{
    producer_partition which{ .producer_id = 123456789012, .topic = "a/b.c", .partition = 17 };
    auto k = producer_state_key("/", which);
    auto prefix = producer_states_prefix("/");
    REQUIRE(k.starts_with(prefix));
    auto back = decode_producer_state_key(std::string_view(k).substr(prefix.size()));
    REQUIRE(back);
    CHECK(back->producer_id == which.producer_id);
    CHECK(back->topic == which.topic);
    CHECK(back->partition == 17);
    CHECK_FALSE(decode_producer_state_key(std::string_view(k).substr(prefix.size(), 3)));
    CHECK_FALSE(producer_state_key("/a", which).starts_with(prefix));

    stored_partition_state st;
    st.epoch = 4;
    st.next_sequence = 12;
    st.updated_ms = now;
    st.recent = { { 0, 5, 40 }, { 5, 7, 45 } };
    auto v = encode_partition_state(st);
    auto decoded = decode_partition_state(v);
    REQUIRE(decoded);
    CHECK(decoded->epoch == 4);
    CHECK(decoded->next_sequence == 12);
    CHECK(decoded->updated_ms == now);
    REQUIRE(decoded->recent.size() == 2);
    CHECK(decoded->recent[1].offset == 45);
    CHECK_FALSE(decode_partition_state(v.substr(0, v.size() - 1)));
    CHECK_FALSE(decode_partition_state(v + "x"));
    CHECK_FALSE(decode_partition_state(""));
    CHECK(decode_producer_id(encode_producer_id(1'000'000'000'000)) == std::optional<std::int64_t>(1'000'000'000'000));
    CHECK_FALSE(decode_producer_id("\x02\x02"));
}

TEST_CASE("an appended batch is reported stored only once its state is durable", "[kafka][idempotence]")
{
    map_store store;
    quiet_logger log;
    producer_sequences s(1);
    s.attach(store, "/", log, now);
    producer_sequences::batch_key b{ 9, 0, 0, 2 };
    REQUIRE(s.check("t", 0, b).v == verdict::append);
    store.hold = true;
    int stored = 0;
    s.appended("t", 0, b, 12, now, [&stored] { ++stored; });
    CHECK(stored == 0); // the Produce is not answered while the write is in flight
    store.release();
    CHECK(stored == 1);
    CHECK(store.rows.size() == 1);

    SECTION("a failed append is reported once its state is forgotten")
    {
        producer_sequences::batch_key next{ 9, 0, 2, 1 };
        REQUIRE(s.check("t", 0, next).v == verdict::append);
        store.hold = true;
        s.appended("t", 0, next, -1, now, [&stored] { ++stored; });
        CHECK(stored == 1);
        store.release();
        CHECK(stored == 2);
    }
    SECTION("a batch of an epoch that was fenced meanwhile is reported at once")
    {
        producer_sequences::batch_key old{ 9, 0, 2, 1 };
        REQUIRE(s.check("t", 0, old).v == verdict::append);
        REQUIRE(s.check("t", 0, producer_sequences::batch_key{ 9, 1, 0, 1 }).v == verdict::append);
        s.appended("t", 0, old, 20, now, [&stored] { ++stored; });
        CHECK(stored == 2);
    }
    SECTION("without a store it is reported at once")
    {
        producer_sequences bare(1);
        REQUIRE(bare.check("t", 0, b).v == verdict::append);
        bare.appended("t", 0, b, 3, now, [&stored] { ++stored; });
        CHECK(stored == 2);
    }
}

TEST_CASE("a producer from an earlier run is checked against the partition's log first", "[kafka][idempotence]")
{
    map_store store;
    quiet_logger log;
    store.rows[producer_ids_key("/")] = encode_producer_id(1000); // ids below 1000: an earlier run
    stored_partition_state known;
    known.epoch = 0;
    known.next_sequence = 3;
    known.updated_ms = now;
    known.recent.push_back({ 0, 3, 40 });
    store.rows[producer_state_key("/", { .producer_id = 5, .topic = "t", .partition = 0 })] =
      encode_partition_state(known);
    producer_sequences s(1);
    s.attach(store, "/", log, now);

    SECTION("a known state: looked for after its newest batch")
    {
        auto first = s.check("t", 0, { 5, 0, 3, 2 });
        CHECK(first.v == verdict::verify);
        CHECK(first.offset == 41);
        // The log holds that batch (its state write was lost): a duplicate, at its offset.
        s.recovered("t", 0, 5, { { 0, 3, 2, 45 } }, now);
        auto again = s.check("t", 0, { 5, 0, 3, 2 });
        CHECK(again.v == verdict::duplicate);
        CHECK(again.offset == 45);
        CHECK(s.check("t", 0, { 5, 0, 5, 1 }).v == verdict::append);
    }
    SECTION("no state: looked for in the retry window, and nothing found is a new batch")
    {
        auto first = s.check("t", 1, { 5, 0, 0, 1 });
        CHECK(first.v == verdict::verify);
        CHECK(first.offset == -1);
        s.recovered("t", 1, 5, {}, now);
        CHECK(s.check("t", 1, { 5, 0, 0, 1 }).v == verdict::append);
    }
    SECTION("a producer of this run is not looked for")
    {
        CHECK(s.check("t", 0, { 1000, 0, 0, 1 }).v == verdict::append);
    }
    SECTION("a second read's findings are not taken twice")
    {
        REQUIRE(s.check("t", 0, { 5, 0, 3, 2 }).v == verdict::verify);
        s.recovered("t", 0, 5, { { 0, 3, 2, 45 } }, now);
        s.recovered("t", 0, 5, { { 0, 3, 2, 99 } }, now);
        CHECK(s.check("t", 0, { 5, 0, 3, 2 }).offset == 45);
    }
}
