// The storage conformance suite: what every engine must do, checked through the real loader.
// CMake builds it once per engine in PLEXUS_STORAGE_CONFORMANCE_ENGINES. Cases tagged
// [durable] assert recovery after a restart when caps().durable, and the opposite (a restart
// starts empty) when not, so every case runs for every engine.
#include "conformance/storage/engine_fixture.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstddef>
#include <numeric>
#include <string>

using namespace plexus;
using plexus::test::storage::batch_of;
using plexus::test::storage::bodies;
using plexus::test::storage::engine_fixture;
using plexus::test::storage::make_message;
using sdk::offset;

namespace {

std::vector<std::string> expected_bodies(int first, int n, const std::string& prefix = "m")
{
    std::vector<std::string> out;
    for (int i = first; i < first + n; ++i) {
        out.push_back(prefix + std::to_string(i));
    }
    return out;
}

std::size_t bytes_of(const sdk::record_batch& b)
{
    std::size_t n = 0;
    for (const auto& m : b.records) {
        n += m->size_bytes();
    }
    return n;
}

} // namespace

TEST_CASE_METHOD(engine_fixture, "a new log is empty at offset 0", "[conformance][storage]")
{
    auto log = open_log("s/v/empty/0");
    auto o = log->offsets();
    CHECK(o.start == offset{ 0 });
    CHECK(o.next == offset{ 0 });
    CHECK(o.committed == offset{ 0 });
    CHECK(log->size_bytes() == 0);
    auto r = read(*log, offset{ 0 }, 1024);
    REQUIRE(r.ok());
    CHECK(r->empty());
    CHECK(r->base_offset == offset{ 0 });
}

TEST_CASE_METHOD(engine_fixture, "append assigns contiguous offsets across appends", "[conformance][storage]")
{
    auto log = open_log("q/v/contiguous");
    auto a = log->append(batch_of(3));
    auto b = log->append(batch_of(2, "m", 3));
    auto c = log->append(batch_of(1, "m", 5));
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    REQUIRE(c.ok());
    CHECK(*a == sdk::offset_range{ offset{ 0 }, offset{ 2 } });
    CHECK(*b == sdk::offset_range{ offset{ 3 }, offset{ 4 } });
    CHECK(*c == sdk::offset_range{ offset{ 5 }, offset{ 5 } });
    CHECK(a->count() + b->count() + c->count() == 6);
    CHECK(log->offsets().start == offset{ 0 });
    CHECK(log->offsets().next == offset{ 6 });
    CHECK(log->offsets().committed <= log->offsets().next);
}

TEST_CASE_METHOD(engine_fixture, "appended records are readable at once, in order", "[conformance][storage]")
{
    auto log = open_log("q/v/read");
    REQUIRE(log->append(batch_of(4)).ok());
    REQUIRE(log->append(batch_of(3, "m", 4)).ok());

    SECTION("from the start")
    {
        auto r = read(*log, offset{ 0 }, 1 << 20);
        REQUIRE(r.ok());
        REQUIRE_FALSE(r->empty());
        CHECK(r->base_offset == offset{ 0 });
        auto all = read_all(*log, offset{ 0 });
        REQUIRE(all.ok());
        CHECK(bodies(*all) == expected_bodies(0, 7));
    }
    SECTION("from the middle of a batch")
    {
        auto r = read(*log, offset{ 2 }, 1 << 20);
        REQUIRE(r.ok());
        REQUIRE_FALSE(r->empty());
        CHECK(r->base_offset == offset{ 2 });
        CHECK(r->records.front()->body.to_string() == "m2");
        auto all = read_all(*log, offset{ 2 });
        REQUIRE(all.ok());
        CHECK(bodies(*all) == expected_bodies(2, 5));
    }
    SECTION("the last record")
    {
        auto r = read(*log, offset{ 6 }, 1 << 20);
        REQUIRE(r.ok());
        REQUIRE(r->size() == 1);
        CHECK(r->base_offset == offset{ 6 });
        CHECK(r->records[0]->body.to_string() == "m6");
    }
    SECTION("at the end and past it: an empty batch at the offset asked for")
    {
        for (std::int64_t from : { 7, 8, 1000 }) {
            auto r = read(*log, offset{ from }, 1 << 20);
            REQUIRE(r.ok());
            CHECK(r->empty());
            CHECK(r->base_offset == offset{ from });
        }
    }
}

TEST_CASE_METHOD(engine_fixture, "max_bytes bounds a read, which still returns one record", "[conformance][storage]")
{
    auto log = open_log("q/v/max-bytes");
    sdk::record_batch b;
    for (int i = 0; i < 10; ++i) {
        b.records.push_back(make_message({ std::string(100, static_cast<char>('a' + i)) }));
    }
    const std::size_t one = b.records[0]->size_bytes();
    REQUIRE(log->append(std::move(b)).ok());

    SECTION("a budget smaller than one record gives exactly one")
    {
        for (std::size_t budget : { std::size_t{ 0 }, std::size_t{ 1 }, one - 1 }) {
            auto r = read(*log, offset{ 3 }, budget);
            REQUIRE(r.ok());
            REQUIRE(r->size() == 1);
            CHECK(r->base_offset == offset{ 3 });
            CHECK(r->records[0]->body.to_string() == std::string(100, 'd'));
        }
    }
    SECTION("a budget of three records gives one to three, never more bytes")
    {
        auto r = read(*log, offset{ 0 }, 3 * one);
        REQUIRE(r.ok());
        REQUIRE(r->size() >= 1);
        CHECK(r->size() <= 3);
        CHECK(bytes_of(*r) <= 3 * one);
    }
    SECTION("a budget below the next record stops before it")
    {
        auto r = read(*log, offset{ 0 }, 2 * one + one / 2);
        REQUIRE(r.ok());
        REQUIRE(r->size() >= 1);
        CHECK(r->size() <= 2);
    }
}

TEST_CASE_METHOD(engine_fixture, "reads across batch boundaries", "[conformance][storage]")
{
    // Batch sizes that straddle every boundary an engine might have: single records, small
    // batches and a large one.
    auto log = open_log("s/v/boundaries/0");
    const std::vector<int> sizes{ 1, 5, 2, 40, 1, 1, 300, 3 };
    int next = 0;
    for (int n : sizes) {
        auto r = log->append(batch_of(n, "m", next));
        REQUIRE(r.ok());
        CHECK(r->first == offset{ next });
        CHECK(r->count() == n);
        next += n;
    }
    REQUIRE(log->offsets().next == offset{ next });

    SECTION("record by record")
    {
        for (int i = 0; i < next; ++i) {
            auto r = read(*log, offset{ i }, 0);
            REQUIRE(r.ok());
            REQUIRE(r->size() == 1);
            CHECK(r->base_offset == offset{ i });
            CHECK(r->records[0]->body.to_string() == "m" + std::to_string(i));
        }
    }
    SECTION("from every offset to the end")
    {
        for (int i = 0; i <= next; i += 7) {
            auto all = read_all(*log, offset{ i });
            REQUIRE(all.ok());
            CHECK(bodies(*all) == expected_bodies(i, next - i));
        }
    }
    SECTION("with budgets that end inside batches")
    {
        const std::size_t one = make_message({ "m100" })->size_bytes();
        offset from{ 0 };
        std::vector<std::string> seen;
        while (from < offset{ next }) {
            auto r = read(*log, from, 4 * one);
            REQUIRE(r.ok());
            REQUIRE_FALSE(r->empty());
            REQUIRE(r->base_offset == from);
            for (const auto& m : r->records) {
                seen.push_back(m->body.to_string());
            }
            from = r->last_offset() + 1;
        }
        CHECK(seen == expected_bodies(0, next));
    }
}

TEST_CASE_METHOD(engine_fixture, "fragmented bodies come back byte-identical", "[conformance][storage]")
{
    auto log = open_log("q/v/fragments");
    std::string binary;
    for (int i = 0; i < 256; ++i) {
        binary.push_back(static_cast<char>(i));
    }
    const std::vector<std::string> parts{ "head-", binary, std::string(5000, 'z'), "", "-tail" };
    auto m = make_message(parts);
    REQUIRE(m->body.fragment_count() == 4); // the empty part adds no fragment
    const std::string whole = m->body.to_string();
    sdk::record_batch b;
    b.records.push_back(m);
    b.records.push_back(make_message({ std::string(1, '\0'), "x", std::string(3, '\0') }));
    REQUIRE(log->append(std::move(b)).ok());

    auto all = read_all(*log, offset{ 0 });
    REQUIRE(all.ok());
    REQUIRE(all->size() == 2);
    CHECK(all->records[0]->body.size() == whole.size());
    CHECK(all->records[0]->body.to_string() == whole);
    CHECK(all->records[1]->body.to_string() == std::string("\0x\0\0\0", 5));
}

TEST_CASE_METHOD(engine_fixture, "every message field round-trips", "[conformance][storage]")
{
    auto log = open_log("q/v/fields");
    auto m = std::make_shared<sdk::message>();
    m->exchange = "amq.topic";
    m->routing_key = "a.b.c";
    m->key = "kafka-key";
    m->timestamp = sdk::timestamp_ms(1700000000123);
    m->properties.content_type = "application/json";
    m->properties.content_encoding = "gzip";
    m->properties.correlation_id = "corr";
    m->properties.reply_to = "replies";
    m->properties.message_id = "id-1";
    m->properties.type = "t";
    m->properties.user_id = "guest";
    m->properties.app_id = "app";
    m->properties.ttl_ms = 60000;
    m->properties.priority = 7;
    m->properties.persistent = true;
    m->headers_ = { { "none", std::monostate{} },       { "flag", true },
                    { "count", std::int64_t{ -42 } },   { "ratio", 0.25 },
                    { "name", std::string("v\0w", 3) }, { "name", std::string("duplicate keys keep their order") } };
    m->body = sdk::buffer_chain::copy_of("{\"k\":1}");
    sdk::record_batch b;
    b.records.push_back(m);
    REQUIRE(log->append(std::move(b)).ok());

    auto r = read(*log, offset{ 0 }, 1 << 20);
    REQUIRE(r.ok());
    REQUIRE(r->size() == 1);
    const auto& got = *r->records[0];
    CHECK(got.exchange == m->exchange);
    CHECK(got.routing_key == m->routing_key);
    CHECK(got.key == m->key);
    CHECK(got.timestamp == m->timestamp);
    CHECK(got.properties == m->properties);
    CHECK(got.headers_ == m->headers_);
    CHECK(got.body.to_string() == m->body.to_string());
}

TEST_CASE_METHOD(engine_fixture, "append edge cases", "[conformance][storage]")
{
    auto log = open_log("q/v/edges");
    REQUIRE(log->append(batch_of(2)).ok());
    const auto before = log->offsets();
    const auto bytes_before = log->size_bytes();

    SECTION("an empty batch appends nothing and returns an empty range at the end")
    {
        auto r = log->append(sdk::record_batch{});
        REQUIRE(r.ok());
        CHECK(r->count() == 0);
        CHECK(r->first == before.next);
        CHECK(log->offsets().next == before.next);
        CHECK(log->size_bytes() == bytes_before);
    }
    SECTION("a batch holding a null message is refused whole")
    {
        auto b = batch_of(3, "m", 2);
        b.records[1] = nullptr;
        auto r = log->append(std::move(b));
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code() == sdk::errc::invalid_argument);
        CHECK(log->offsets().next == before.next);
        CHECK(log->size_bytes() == bytes_before);
        auto all = read_all(*log, offset{ 0 });
        REQUIRE(all.ok());
        CHECK(bodies(*all) == expected_bodies(0, 2));
    }
    SECTION("base_offset of an appended batch is ignored")
    {
        auto b = batch_of(1, "m", 2);
        b.base_offset = offset{ 1000 };
        auto r = log->append(std::move(b));
        REQUIRE(r.ok());
        CHECK(r->first == before.next);
    }
}

TEST_CASE_METHOD(engine_fixture, "flush advances committed to next", "[conformance][storage]")
{
    auto log = open_log("q/v/flush");
    SECTION("an empty log")
    {
        auto f = flush(*log);
        REQUIRE(f.ok());
        CHECK(*f == offset{ 0 });
        CHECK(log->offsets().committed == offset{ 0 });
    }
    SECTION("after appends")
    {
        REQUIRE(log->append(batch_of(5)).ok());
        auto f = flush(*log);
        REQUIRE(f.ok());
        CHECK(*f == offset{ 5 });
        CHECK(log->offsets().committed == offset{ 5 });
        REQUIRE(log->append(batch_of(2, "m", 5)).ok());
        CHECK(log->offsets().committed <= offset{ 7 });
        auto g = flush(*log);
        REQUIRE(g.ok());
        CHECK(*g == offset{ 7 });
        CHECK(log->offsets().committed == offset{ 7 });
        CHECK(log->offsets().next == offset{ 7 });
    }
    SECTION("several flushes in flight all complete")
    {
        REQUIRE(log->append(batch_of(3)).ok());
        auto a = flush(*log);
        auto b = flush(*log);
        REQUIRE(a.ok());
        REQUIRE(b.ok());
        CHECK(*a == offset{ 3 });
        CHECK(*b == offset{ 3 });
    }
}

TEST_CASE_METHOD(engine_fixture, "truncate_prefix drops records below the new start", "[conformance][storage]")
{
    auto log = open_log("q/v/truncate");
    REQUIRE(log->append(batch_of(4)).ok());
    REQUIRE(log->append(batch_of(6, "m", 4)).ok());
    const auto full_size = log->size_bytes();

    REQUIRE(log->truncate_prefix(offset{ 5 }).ok());
    CHECK(log->offsets().start == offset{ 5 });
    CHECK(log->offsets().next == offset{ 10 });
    CHECK(log->size_bytes() <= full_size);

    SECTION("reads below start are not_found; from start they continue")
    {
        for (std::int64_t from : { 0, 4 }) {
            auto below = read(*log, offset{ from }, 1 << 20);
            REQUIRE_FALSE(below.ok());
            CHECK(below.error().code() == sdk::errc::not_found);
        }
        auto all = read_all(*log, offset{ 5 });
        REQUIRE(all.ok());
        CHECK(bodies(*all) == expected_bodies(5, 5));
    }
    SECTION("truncating at or below start is a no-op")
    {
        REQUIRE(log->truncate_prefix(offset{ 5 }).ok());
        REQUIRE(log->truncate_prefix(offset{ 2 }).ok());
        CHECK(log->offsets().start == offset{ 5 });
        auto all = read_all(*log, offset{ 5 });
        REQUIRE(all.ok());
        CHECK(all->size() == 5);
    }
    SECTION("truncating to next empties the log; appends continue from there")
    {
        REQUIRE(log->truncate_prefix(offset{ 10 }).ok());
        CHECK(log->offsets().start == offset{ 10 });
        CHECK(log->offsets().next == offset{ 10 });
        auto r = read(*log, offset{ 10 }, 1 << 20);
        REQUIRE(r.ok());
        CHECK(r->empty());
        auto a = log->append(batch_of(2, "m", 10));
        REQUIRE(a.ok());
        CHECK(a->first == offset{ 10 });
        auto all = read_all(*log, offset{ 10 });
        REQUIRE(all.ok());
        CHECK(bodies(*all) == expected_bodies(10, 2));
    }
    SECTION("truncating past next is refused and changes nothing")
    {
        auto st = log->truncate_prefix(offset{ 11 });
        REQUIRE_FALSE(st.ok());
        CHECK(st.code() == sdk::errc::invalid_argument);
        CHECK(log->offsets().start == offset{ 5 });
        CHECK(log->offsets().next == offset{ 10 });
    }
    SECTION("step by step through every boundary")
    {
        for (std::int64_t s = 6; s <= 10; ++s) {
            REQUIRE(log->truncate_prefix(offset{ s }).ok());
            auto all = read_all(*log, offset{ s });
            REQUIRE(all.ok());
            CHECK(bodies(*all) == expected_bodies(static_cast<int>(s), static_cast<int>(10 - s)));
        }
    }
}

TEST_CASE_METHOD(engine_fixture, "offset_for_timestamp", "[conformance][storage]")
{
    auto log = open_log("s/v/time/0");
    SECTION("an empty log answers next")
    {
        auto r = offset_for_timestamp(*log, 0);
        REQUIRE(r.ok());
        CHECK(*r == offset{ 0 });
    }
    SECTION("monotonic timestamps")
    {
        // offsets 0..9 at 100, 200, ... 1000, in batches of 3, 3, 4
        int i = 0;
        for (int n : { 3, 3, 4 }) {
            sdk::record_batch b;
            for (int k = 0; k < n; ++k, ++i) {
                b.records.push_back(make_message({ "m" + std::to_string(i) }, 100 * (i + 1)));
            }
            REQUIRE(log->append(std::move(b)).ok());
        }
        const std::vector<std::pair<std::int64_t, std::int64_t>> cases{ { 0, 0 },    { 100, 0 },  { 101, 1 },
                                                                        { 150, 1 },  { 200, 1 },  { 301, 3 },
                                                                        { 1000, 9 }, { 1001, 10 } };
        for (auto [ts, want] : cases) {
            auto r = offset_for_timestamp(*log, ts);
            REQUIRE(r.ok());
            CHECK(*r == offset{ want });
        }
        REQUIRE(log->truncate_prefix(offset{ 4 }).ok());
        auto r = offset_for_timestamp(*log, 0);
        REQUIRE(r.ok());
        CHECK(*r == offset{ 4 });
        r = offset_for_timestamp(*log, 700);
        REQUIRE(r.ok());
        CHECK(*r == offset{ 6 });
    }
    SECTION("equal timestamps give the first of them")
    {
        sdk::record_batch b;
        for (std::int64_t ts : { 10, 20, 20, 20, 30 }) {
            b.records.push_back(make_message({ "m" }, ts));
        }
        REQUIRE(log->append(std::move(b)).ok());
        auto r = offset_for_timestamp(*log, 20);
        REQUIRE(r.ok());
        CHECK(*r == offset{ 1 });
    }
    SECTION("timestamps out of order: the first offset at or after ts")
    {
        sdk::record_batch b;
        for (std::int64_t ts : { 500, 100, 300, 700, 200 }) {
            b.records.push_back(make_message({ "m" }, ts));
        }
        REQUIRE(log->append(std::move(b)).ok());
        REQUIRE(log->append(batch_of(1, "m", 5, 50)).ok());
        const std::vector<std::pair<std::int64_t, std::int64_t>> cases{ { 0, 0 },   { 200, 0 }, { 500, 0 },
                                                                        { 501, 3 }, { 700, 3 }, { 701, 6 } };
        for (auto [ts, want] : cases) {
            auto r = offset_for_timestamp(*log, ts);
            REQUIRE(r.ok());
            CHECK(*r == offset{ want });
        }
        REQUIRE(log->truncate_prefix(offset{ 1 }).ok());
        auto r = offset_for_timestamp(*log, 200);
        REQUIRE(r.ok());
        CHECK(*r == offset{ 2 });
    }
}

TEST_CASE_METHOD(engine_fixture, "size_bytes grows with appends", "[conformance][storage]")
{
    auto log = open_log("q/v/size");
    CHECK(log->size_bytes() == 0);
    std::uint64_t last = 0;
    for (int i = 0; i < 5; ++i) {
        REQUIRE(log->append(batch_of(10, "m", i * 10)).ok());
        CHECK(log->size_bytes() > last);
        last = log->size_bytes();
    }
    REQUIRE(log->truncate_prefix(offset{ 50 }).ok());
    CHECK(log->size_bytes() <= last);
}

TEST_CASE_METHOD(engine_fixture, "logs are independent", "[conformance][storage]")
{
    auto a = open_log("q/v/a");
    auto b = open_log("q/v/b");
    REQUIRE(a->append(batch_of(3, "a")).ok());
    auto rb = b->append(batch_of(1, "b"));
    REQUIRE(rb.ok());
    CHECK(rb->first == offset{ 0 });
    REQUIRE(a->truncate_prefix(offset{ 2 }).ok());
    CHECK(b->offsets().start == offset{ 0 });
    CHECK(a->offsets().next == offset{ 3 });
    CHECK(b->offsets().next == offset{ 1 });
    auto all_a = read_all(*a, offset{ 2 });
    auto all_b = read_all(*b, offset{ 0 });
    REQUIRE(all_a.ok());
    REQUIRE(all_b.ok());
    CHECK(bodies(*all_a) == std::vector<std::string>{ "a2" });
    CHECK(bodies(*all_b) == std::vector<std::string>{ "b0" });
}

TEST_CASE_METHOD(engine_fixture, "log lifecycle: reopen, remove, list", "[conformance][storage]")
{
    SECTION("closing and opening again keeps the records")
    {
        {
            auto log = open_log("q/v/keep");
            REQUIRE(log->append(batch_of(3)).ok());
            REQUIRE(flush(*log).ok());
        }
        auto log = open_log("q/v/keep");
        CHECK(log->offsets().next == offset{ 3 });
        auto all = read_all(*log, offset{ 0 });
        REQUIRE(all.ok());
        CHECK(bodies(*all) == expected_bodies(0, 3));
        auto a = log->append(batch_of(1, "m", 3));
        REQUIRE(a.ok());
        CHECK(a->first == offset{ 3 });
    }
    SECTION("a log has one open handle at a time")
    {
        auto log = open_log("q/v/once");
        sdk::log_spec spec{ "q/v/once", &shard() };
        auto second = engine().open_log(spec);
        REQUIRE_FALSE(second.ok());
        CHECK(second.error().code() == sdk::errc::locked);
        log.reset();
        CHECK(engine().open_log(spec).ok());
    }
    SECTION("remove_log then open again is empty")
    {
        {
            auto log = open_log("q/v/gone");
            REQUIRE(log->append(batch_of(4)).ok());
            REQUIRE(log->truncate_prefix(offset{ 1 }).ok());
        }
        REQUIRE(engine().remove_log("q/v/gone").ok());
        auto names = engine().list_logs();
        REQUIRE(names.ok());
        CHECK(std::find(names->begin(), names->end(), "q/v/gone") == names->end());
        auto log = open_log("q/v/gone");
        CHECK(log->offsets().start == offset{ 0 });
        CHECK(log->offsets().next == offset{ 0 });
        CHECK(log->size_bytes() == 0);
        auto r = read(*log, offset{ 0 }, 1024);
        REQUIRE(r.ok());
        CHECK(r->empty());
    }
    SECTION("removing an unknown log is not_found")
    {
        auto st = engine().remove_log("q/v/never-opened");
        REQUIRE_FALSE(st.ok());
        CHECK(st.code() == sdk::errc::not_found);
    }
    SECTION("list_logs names every log")
    {
        const std::vector<std::string> want{ "q/v/one", "q/v/two", "s/v/three/0" };
        for (const auto& n : want) {
            auto log = open_log(n);
            REQUIRE(log->append(batch_of(1)).ok());
        }
        auto names = engine().list_logs();
        REQUIRE(names.ok());
        auto got = *names;
        std::sort(got.begin(), got.end());
        CHECK(got == want);
    }
    SECTION("an empty name is refused")
    {
        sdk::log_spec spec{ "", &shard() };
        auto r = engine().open_log(spec);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code() == sdk::errc::invalid_argument);
    }
}

TEST_CASE_METHOD(engine_fixture, "metadata store", "[conformance][storage][kv]")
{
    auto& kv = engine().metadata();
    using write = sdk::kv_store::write;

    SECTION("a missing key is an empty optional")
    {
        auto r = kv.get("nope");
        REQUIRE(r.ok());
        CHECK_FALSE(r->has_value());
        auto s = kv.scan("nope");
        REQUIRE(s.ok());
        CHECK(s->empty());
    }
    SECTION("put, get, overwrite")
    {
        REQUIRE(apply({ write{ "cursor/q1", "17" } }).ok());
        auto r = kv.get("cursor/q1");
        REQUIRE(r.ok());
        REQUIRE(r->has_value());
        CHECK(**r == "17");
        REQUIRE(apply({ write{ "cursor/q1", "18" } }).ok());
        CHECK(**kv.get("cursor/q1") == "18");
    }
    SECTION("scan returns the prefix's keys in key order")
    {
        REQUIRE(apply({ write{ "g/b", "2" },
                        write{ "h/x", "9" },
                        write{ "g/a", "1" },
                        write{ "g", "0" },
                        write{ "g/c", "3" },
                        write{ "f/z", "8" },
                        write{ "g/", "slash" } })
                  .ok());
        auto s = kv.scan("g/");
        REQUIRE(s.ok());
        const std::vector<std::pair<std::string, std::string>> want{
            { "g/", "slash" }, { "g/a", "1" }, { "g/b", "2" }, { "g/c", "3" }
        };
        CHECK(*s == want);
        auto all = kv.scan("");
        REQUIRE(all.ok());
        REQUIRE(all->size() == 7);
        CHECK(std::is_sorted(all->begin(), all->end()));
        CHECK(all->front().first == "f/z");
        CHECK(all->back().first == "h/x");
    }
    SECTION("a batch deletes and writes together")
    {
        REQUIRE(apply({ write{ "o/a", "1" }, write{ "o/b", "2" }, write{ "o/c", "3" } }).ok());
        REQUIRE(apply({ write{ "o/a", std::nullopt },
                        write{ "o/d", "4" },
                        write{ "o/b", std::nullopt },
                        write{ "o/missing", std::nullopt } })
                  .ok());
        auto s = kv.scan("o/");
        REQUIRE(s.ok());
        const std::vector<std::pair<std::string, std::string>> want{ { "o/c", "3" }, { "o/d", "4" } };
        CHECK(*s == want);
        CHECK_FALSE(kv.get("o/a")->has_value());
    }
    SECTION("within a batch the last write of a key wins")
    {
        REQUIRE(apply({ write{ "k", "1" }, write{ "k", std::nullopt }, write{ "k", "3" } }).ok());
        CHECK(**kv.get("k") == "3");
        REQUIRE(apply({ write{ "k", "4" }, write{ "k", std::nullopt } }).ok());
        CHECK_FALSE(kv.get("k")->has_value());
    }
    SECTION("keys and values are binary-safe")
    {
        const std::string key("b\0k", 3);
        const std::string value("\0\xff\x01", 3);
        REQUIRE(apply({ write{ key, value }, write{ "b", "short" } }).ok());
        auto r = kv.get(key);
        REQUIRE(r.ok());
        REQUIRE(r->has_value());
        CHECK(**r == value);
        auto s = kv.scan(std::string("b\0", 2));
        REQUIRE(s.ok());
        REQUIRE(s->size() == 1);
        CHECK(s->front().first == key);
    }
    SECTION("an empty batch completes")
    {
        CHECK(apply({}).ok());
    }
}

TEST_CASE_METHOD(engine_fixture, "the factory checks its config", "[conformance][storage][config]")
{
    CHECK(factory().validate("{}").ok());
    CHECK(factory().validate(" { } ").ok());
    for (const char* bad : { "{", "not json", "[]", "42", "\"text\"", "{\"a\":}" }) {
        INFO("config: " << bad);
        auto st = factory().validate(bad);
        REQUIRE_FALSE(st.ok());
        CHECK(st.code() == sdk::errc::invalid_argument);
    }
    auto unknown = factory().validate("{\"no_such_key\": 1}");
    REQUIRE_FALSE(unknown.ok());
    CHECK(unknown.code() == sdk::errc::invalid_argument);
    CHECK(std::string(unknown.message()).find("no_such_key") != std::string::npos);

    auto created = create_engine("{\"no_such_key\": 1}");
    REQUIRE_FALSE(created.ok());
    CHECK(created.error().code() == sdk::errc::invalid_argument);
    CHECK(std::string(created.error().message()).find("no_such_key") != std::string::npos);
}

TEST_CASE_METHOD(engine_fixture,
                 "a restart recovers a durable engine, empties another",
                 "[conformance][storage][durable]")
{
    const bool durable = engine().caps().durable;
    using write = sdk::kv_store::write;
    {
        auto log = open_log("s/v/restart/0");
        REQUIRE(log->append(batch_of(5)).ok());
        REQUIRE(log->append(batch_of(3, "m", 5)).ok());
        REQUIRE(log->truncate_prefix(offset{ 2 }).ok());
        auto f = flush(*log);
        REQUIRE(f.ok());
        CHECK(*f == offset{ 8 });
        auto other = open_log("q/v/restart");
        REQUIRE(other->append(batch_of(1, "o")).ok());
        REQUIRE(flush(*other).ok());
    }
    REQUIRE(apply({ write{ "group/g1", "8" }, write{ "def/q", "durable" } }).ok());
    REQUIRE(apply({ write{ "def/q", std::nullopt } }).ok());
    REQUIRE(engine().remove_log("q/v/restart").ok());

    restart_engine();

    auto names = engine().list_logs();
    REQUIRE(names.ok());
    auto log = open_log("s/v/restart/0");
    auto group = engine().metadata().get("group/g1");
    REQUIRE(group.ok());
    if (durable) {
        CHECK(*names == std::vector<std::string>{ "s/v/restart/0" });
        CHECK(log->offsets().start == offset{ 2 });
        CHECK(log->offsets().next == offset{ 8 });
        CHECK(log->offsets().committed == offset{ 8 });
        auto all = read_all(*log, offset{ 2 });
        REQUIRE(all.ok());
        CHECK(bodies(*all) == expected_bodies(2, 6));
        auto a = log->append(batch_of(1, "m", 8));
        REQUIRE(a.ok());
        CHECK(a->first == offset{ 8 });
        REQUIRE(group->has_value());
        CHECK(**group == "8");
        CHECK_FALSE(engine().metadata().get("def/q")->has_value());
    } else {
        CHECK(names->empty());
        CHECK(log->offsets().next == offset{ 0 });
        CHECK_FALSE(group->has_value());
        auto all = engine().metadata().scan("");
        REQUIRE(all.ok());
        CHECK(all->empty());
    }
}
