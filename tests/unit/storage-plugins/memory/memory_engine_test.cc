// What is particular to the memory engine: its config, the per-log byte limit, inline
// completions, sharing (never copying) messages, exact byte accounting, and its control plane
// under concurrent callers. The shared contract is in tests/conformance/storage.
#include "memory_engine.h"

#include "plexus/sdk/testing/fake_executor.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

using namespace plexus;
using plexus::storage::memory::memory_engine;
using plexus::storage::memory::memory_factory;
using plexus::storage::memory::parse_config;
using sdk::offset;

namespace {

sdk::message_ptr msg(const std::string& body, std::int64_t ts = 0)
{
    auto m = std::make_shared<sdk::message>();
    m->routing_key = "rk";
    m->timestamp = sdk::timestamp_ms(ts);
    m->body = sdk::buffer_chain::copy_of(body);
    return m;
}

sdk::record_batch batch(std::vector<sdk::message_ptr> records)
{
    sdk::record_batch b;
    b.records = std::move(records);
    return b;
}

std::unique_ptr<sdk::log> open(sdk::storage_engine& e, const std::string& name, sdk::executor* owner = nullptr)
{
    auto r = e.open_log(sdk::log_spec{ name, owner });
    REQUIRE(r.ok());
    return std::move(*r);
}

bool contains(std::string_view haystack, std::string_view needle)
{
    return haystack.find(needle) != std::string_view::npos;
}

} // namespace

TEST_CASE("memory config: accepted forms", "[unit][storage][memory]")
{
    for (const char* json : { "{}", "", "  \n", " { } " }) {
        auto c = parse_config(json);
        REQUIRE(c.ok());
        CHECK_FALSE(c->max_bytes_per_log.has_value());
    }
    auto c = parse_config(R"({"max_bytes_per_log": 1048576})");
    REQUIRE(c.ok());
    REQUIRE(c->max_bytes_per_log.has_value());
    CHECK(*c->max_bytes_per_log == 1048576u);
    auto big = parse_config(R"({"max_bytes_per_log": 9007199254740992})");
    REQUIRE(big.ok());
    CHECK(*big->max_bytes_per_log == 9007199254740992ull);
}

TEST_CASE("memory config: refusals name the key", "[unit][storage][memory]")
{
    SECTION("wrong types and values of max_bytes_per_log")
    {
        for (const char* json : { R"({"max_bytes_per_log": "1000"})",
                                  R"({"max_bytes_per_log": true})",
                                  R"({"max_bytes_per_log": null})",
                                  R"({"max_bytes_per_log": {}})",
                                  R"({"max_bytes_per_log": [1]})",
                                  R"({"max_bytes_per_log": 0})",
                                  R"({"max_bytes_per_log": -5})",
                                  R"({"max_bytes_per_log": 1.5})",
                                  R"({"max_bytes_per_log": 1e300})" }) {
            INFO(json);
            auto c = parse_config(json);
            REQUIRE_FALSE(c.ok());
            CHECK(c.error().code() == sdk::errc::invalid_argument);
            CHECK(contains(c.error().message(), "max_bytes_per_log"));
        }
        auto s = parse_config(R"({"max_bytes_per_log": "1000"})");
        CHECK(contains(s.error().message(), "a string"));
    }
    SECTION("unknown keys")
    {
        auto c = parse_config(R"({"max_bytes_per_log": 10, "max_bytes": 10})");
        REQUIRE_FALSE(c.ok());
        CHECK(c.error().code() == sdk::errc::invalid_argument);
        CHECK(contains(c.error().message(), "'max_bytes'"));
    }
    SECTION("not a JSON object")
    {
        for (const char* json : { "[]", "1", "{", "{\"max_bytes_per_log\": }", "nul" }) {
            INFO(json);
            auto c = parse_config(json);
            REQUIRE_FALSE(c.ok());
            CHECK(c.error().code() == sdk::errc::invalid_argument);
        }
    }
    SECTION("the factory validates and creates with the same rules")
    {
        memory_factory f;
        CHECK(f.validate("{}").ok());
        CHECK(f.validate(R"({"max_bytes_per_log": 10})").ok());
        auto st = f.validate(R"({"max_bytes_per_log": -1})");
        CHECK(st.code() == sdk::errc::invalid_argument);
        auto e = f.create(sdk::storage_context{}, R"({"typo": 1})");
        REQUIRE_FALSE(e.ok());
        CHECK(contains(e.error().message(), "typo"));
    }
}

TEST_CASE("max_bytes_per_log refuses an append whole", "[unit][storage][memory]")
{
    const std::size_t one = msg("0123456789")->size_bytes();
    memory_factory f;
    auto e = f.create(sdk::storage_context{}, R"({"max_bytes_per_log": )" + std::to_string(3 * one) + "}");
    REQUIRE(e.ok());
    auto log = open(**e, "q/limited");

    REQUIRE(log->append(batch({ msg("0123456789"), msg("0123456789") })).ok());
    auto over = log->append(batch({ msg("0123456789"), msg("0123456789") }));
    REQUIRE_FALSE(over.ok());
    CHECK(over.error().code() == sdk::errc::resource_exhausted);
    CHECK(contains(over.error().message(), "max_bytes_per_log"));
    CHECK(log->offsets().next == offset{ 2 });
    CHECK(log->size_bytes() == 2 * one);

    auto exact = log->append(batch({ msg("0123456789") })); // exactly at the limit
    REQUIRE(exact.ok());
    CHECK(exact->first == offset{ 2 });
    CHECK(log->append(batch({ msg("0123456789") })).error().code() == sdk::errc::resource_exhausted);

    REQUIRE(log->truncate_prefix(offset{ 2 }).ok()); // frees two records' bytes
    CHECK(log->size_bytes() == one);
    auto again = log->append(batch({ msg("0123456789"), msg("0123456789") }));
    REQUIRE(again.ok());
    CHECK(again->first == offset{ 3 });

    // The limit is per log.
    auto other = open(**e, "q/other");
    CHECK(other->append(batch({ msg("0123456789"), msg("0123456789"), msg("0123456789") })).ok());
}

TEST_CASE("memory completions run inline, before the call returns", "[unit][storage][memory]")
{
    memory_engine e({});
    sdk::testing::fake_executor shard;
    auto log = open(e, "q/inline", &shard);
    REQUIRE(log->append(batch({ msg("a", 5) })).ok());

    int ran = 0;
    log->flush([&](sdk::result<offset> r) {
        REQUIRE(r.ok());
        CHECK(*r == offset{ 1 });
        ++ran;
    });
    log->read(offset{ 0 }, 100, [&](sdk::result<sdk::record_batch> r) {
        REQUIRE(r.ok());
        CHECK(r->size() == 1);
        ++ran;
    });
    log->offset_for_timestamp(sdk::timestamp_ms(5), [&](sdk::result<offset> r) {
        CHECK(*r == offset{ 0 });
        ++ran;
    });
    e.metadata().apply({ { "k", "v" } }, [&](sdk::status st) {
        CHECK(st.ok());
        ++ran;
    });
    CHECK(ran == 4);
    CHECK(shard.pending() == 0);
    CHECK(shard.posted() == 0);
    // An empty `done` is allowed for apply (fire and forget).
    e.metadata().apply({ { "k2", "v2" } }, nullptr);
    CHECK(**e.metadata().get("k2") == "v2");
}

TEST_CASE("the memory log shares messages and releases them on truncation", "[unit][storage][memory]")
{
    memory_engine e({});
    auto log = open(e, "s/share/0");
    auto m = msg(std::string(1000, 'x'));
    std::vector<sdk::message_ptr> records(50, m); // large batch: adopted as a segment
    REQUIRE(log->append(batch(records)).ok());
    records.clear();
    CHECK(m.use_count() == 51); // ours + 50 in the log

    std::vector<sdk::message_ptr> small(3, m); // small batch: packed
    REQUIRE(log->append(batch(small)).ok());
    small.clear();
    CHECK(m.use_count() == 54);

    sdk::result<sdk::record_batch> got = sdk::status(sdk::errc::internal, "not run");
    log->read(offset{ 0 }, 1 << 30, [&](sdk::result<sdk::record_batch> r) { got = std::move(r); });
    REQUIRE(got.ok());
    REQUIRE(got->size() == 53);
    for (const auto& r : got->records) {
        CHECK(r.get() == m.get()); // the same message, not a copy
    }
    got = sdk::status(sdk::errc::internal, "dropped");
    CHECK(m.use_count() == 54);

    REQUIRE(log->truncate_prefix(offset{ 20 }).ok()); // inside the adopted segment
    CHECK(m.use_count() == 34);
    CHECK(log->size_bytes() == 33 * m->size_bytes());
    REQUIRE(log->truncate_prefix(offset{ 51 }).ok()); // past it, inside the packed one
    CHECK(m.use_count() == 3);
    CHECK(log->size_bytes() == 2 * m->size_bytes());
    log.reset();
    CHECK(m.use_count() == 3); // the engine keeps a closed log's records
    REQUIRE(e.remove_log("s/share/0").ok());
    CHECK(m.use_count() == 1);
}

TEST_CASE("size_bytes is the sum of message::size_bytes", "[unit][storage][memory]")
{
    memory_engine e({});
    auto log = open(e, "q/size");
    std::uint64_t want = 0;
    std::vector<std::uint64_t> sizes;
    for (int i = 0; i < 100; ++i) {
        auto m = msg(std::string(static_cast<std::size_t>(i), 'b'));
        sizes.push_back(m->size_bytes());
        want += m->size_bytes();
        REQUIRE(log->append(batch({ m })).ok());
        CHECK(log->size_bytes() == want);
    }
    REQUIRE(log->truncate_prefix(offset{ 37 }).ok());
    for (int i = 0; i < 37; ++i) {
        want -= sizes[static_cast<std::size_t>(i)];
    }
    CHECK(log->size_bytes() == want);
    REQUIRE(log->truncate_prefix(offset{ 100 }).ok());
    CHECK(log->size_bytes() == 0);
}

TEST_CASE("memory log offsets: committed is next", "[unit][storage][memory]")
{
    memory_engine e({});
    CHECK_FALSE(e.caps().durable);
    auto log = open(e, "q/committed");
    REQUIRE(log->append(batch({ msg("a"), msg("b") })).ok());
    CHECK(log->offsets().committed == offset{ 2 });
    CHECK(log->offsets().next == offset{ 2 });
}

TEST_CASE("memory engine control plane", "[unit][storage][memory]")
{
    memory_engine e({});
    SECTION("remove_log of an open log detaches its records")
    {
        auto log = open(e, "q/detach");
        REQUIRE(log->append(batch({ msg("a"), msg("b") })).ok());
        REQUIRE(e.remove_log("q/detach").ok());
        CHECK(e.list_logs()->empty());
        // The old handle still works on the detached records.
        REQUIRE(log->append(batch({ msg("c") })).ok());
        CHECK(log->offsets().next == offset{ 3 });
        // A new log of that name starts empty and is independent.
        auto fresh = open(e, "q/detach");
        CHECK(fresh->offsets().next == offset{ 0 });
        CHECK(log->offsets().next == offset{ 3 });
    }
    SECTION("after close() open_log is unavailable; open handles keep working")
    {
        auto log = open(e, "q/before-close");
        REQUIRE(e.close().ok());
        auto r = e.open_log(sdk::log_spec{ "q/after-close", nullptr });
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code() == sdk::errc::unavailable);
        CHECK(log->append(batch({ msg("a") })).ok());
    }
    SECTION("a handle may outlive its engine")
    {
        auto owned = std::make_unique<memory_engine>(storage::memory::engine_config{});
        auto log = open(*owned, "q/orphan");
        owned.reset();
        REQUIRE(log->append(batch({ msg("a") })).ok());
        CHECK(log->offsets().next == offset{ 1 });
    }
}

TEST_CASE("memory engine: concurrent control plane and metadata", "[unit][storage][memory]")
{
    memory_engine e({});
    constexpr int threads = 4;
    constexpr int rounds = 200;
    std::atomic<int> failures{ 0 };
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&, t] {
            for (int i = 0; i < rounds; ++i) {
                const std::string name = "q/t" + std::to_string(t) + "/" + std::to_string(i);
                auto log = e.open_log(sdk::log_spec{ name, nullptr });
                if (!log || !(*log)->append(batch({ msg("x") })).ok()) {
                    ++failures;
                    continue;
                }
                log->reset();
                if (i % 2 == 0 && !e.remove_log(name).ok()) {
                    ++failures;
                }
                if (!e.list_logs().ok()) {
                    ++failures;
                }
                e.metadata().apply({ { "k/" + std::to_string(t), std::to_string(i) },
                                     { "n/" + std::to_string(t) + "/" + std::to_string(i), "1" } },
                                   [&](sdk::status st) {
                                       if (!st.ok()) {
                                           ++failures;
                                       }
                                   });
                if (!e.metadata().scan("k/").ok()) {
                    ++failures;
                }
            }
        });
    }
    for (auto& w : workers) {
        w.join();
    }
    CHECK(failures == 0);
    auto names = e.list_logs();
    REQUIRE(names.ok());
    CHECK(names->size() == static_cast<std::size_t>(threads * rounds / 2));
    auto ks = e.metadata().scan("k/");
    REQUIRE(ks.ok());
    REQUIRE(ks->size() == static_cast<std::size_t>(threads));
    for (const auto& [k, v] : *ks) {
        CHECK(v == std::to_string(rounds - 1));
    }
    CHECK(e.metadata().scan("n/")->size() == static_cast<std::size_t>(threads * rounds));
}
