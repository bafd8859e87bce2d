// Compacted streams (ADR 0020): once a record is older than the compaction interval and half
// of the partition is new since the last pass, only the newest record of each key is left, at
// its offset; records without a key stay; appends go on at the old end; on a durable engine
// the compacted log is what a restart opens.
#include "broker_fixture.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <thread>
#include <utility>
#include <vector>

using namespace plexus;
using namespace plexus_test;
using namespace std::chrono_literals;

namespace {

using records = std::vector<std::pair<std::int64_t, std::string>>;

kernel::broker_config compacting(kernel::broker_config c)
{
    c.compaction_interval_ms = 100;
    return c;
}

sdk::result<sdk::stream_info> declare_stream(broker_fixture& f, std::string name, bool compact)
{
    sdk::stream_spec spec;
    spec.name = std::move(name);
    spec.compact = compact;
    return call<sdk::result<sdk::stream_info>>(
      f.k(), [spec](sdk::kernel& k, auto done) { k.declare_stream(spec, std::move(done)); });
}

/// Appends one message per (key, body), each its own batch.
void append(broker_fixture& f, const std::string& stream, const std::vector<std::pair<std::string, std::string>>& kvs)
{
    for (const auto& [key, body] : kvs) {
        auto m = std::make_shared<sdk::message>();
        m->key = key;
        m->timestamp = sdk::timestamp_ms(
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count());
        m->body = sdk::buffer_chain::copy_of(body);
        sdk::record_batch b;
        b.records.push_back(m);
        auto r = call<sdk::result<sdk::offset_range>>(f.k(), [stream, b](sdk::kernel& k, auto done) mutable {
            k.append("/", stream, sdk::partition_id(0), std::move(b), sdk::ack_level::durable, std::move(done));
        });
        REQUIRE(r.ok());
    }
}

/// Every (offset, body) of partition 0, read from its start.
records read_all(broker_fixture& f, const std::string& stream)
{
    records out;
    sdk::offset from{ 0 };
    for (int reads = 0; reads < 100; ++reads) {
        auto r = call<sdk::result<sdk::record_batch>>(f.k(), [stream, from](sdk::kernel& k, auto done) {
            k.fetch("/", stream, sdk::partition_id(0), from, 1 << 20, sdk::batch_form::messages, std::move(done));
        });
        REQUIRE(r.ok());
        if (r->empty()) {
            return out;
        }
        for (std::size_t i = 0; i < r->records.size(); ++i) {
            out.emplace_back(r->base_offset() + static_cast<std::int64_t>(i), r->records[i]->body.to_string());
        }
        from = r->last_offset() + 1;
    }
    FAIL("reads do not reach the end");
    return out;
}

sdk::log_offsets offsets_of(broker_fixture& f, const std::string& stream)
{
    auto o = call<sdk::result<sdk::log_offsets>>(f.k(), [stream](sdk::kernel& k, auto done) {
        k.stream_offsets("/", stream, sdk::partition_id(0), std::move(done));
    });
    REQUIRE(o.ok());
    return *o;
}

const std::vector<std::pair<std::string, std::string>> history{ { "a", "a1" },    { "b", "b1" }, { "a", "a2" },
                                                                { "", "no-key" }, { "c", "c1" }, { "b", "b2" },
                                                                { "a", "a3" } };
const records compacted_history{ { 3, "no-key" }, { 4, "c1" }, { 5, "b2" }, { 6, "a3" } };

} // namespace

TEST_CASE("a compacted stream keeps the newest record of each key at its offset", "[unit][kernel][stream]")
{
    broker_fixture f(compacting(test_config()));
    auto made = declare_stream(f, "table", true);
    REQUIRE(made.ok());
    CHECK(made->compact);
    append(f, "table", history);
    CHECK(read_all(f, "table").size() == history.size()); // nothing is cleaned at once

    // The retention tick (every second) starts a pass once the records are older than 100 ms.
    REQUIRE(eventually([&] { return read_all(f, "table") == compacted_history; }, 10s));
    CHECK(offsets_of(f, "table").next == sdk::offset(7));

    SECTION("appends go on at the end, and a later pass cleans them too")
    {
        append(f, "table", { { "c", "c2" }, { "c", "c3" }, { "d", "d1" }, { "b", "b3" }, { "e", "e1" } });
        CHECK(offsets_of(f, "table").next == sdk::offset(12));
        // Offsets 7..11 hold c2 c3 d1 b3 e1: what is left is each key's newest.
        const records expected{ { 3, "no-key" }, { 6, "a3" }, { 8, "c3" }, { 9, "d1" }, { 10, "b3" }, { 11, "e1" } };
        REQUIRE(eventually([&] { return read_all(f, "table") == expected; }, 10s));
    }
    SECTION("a stream that is not compacted keeps everything")
    {
        REQUIRE(declare_stream(f, "log", false).ok());
        append(f, "log", history);
        std::this_thread::sleep_for(2500ms); // two retention ticks
        CHECK(read_all(f, "log").size() == history.size());
    }
}

TEST_CASE("records still in the head when the partition is looked at are cleaned an interval later",
          "[unit][kernel][stream]")
{
    // The one-second tick looks at the partition while the records are younger than the
    // interval (the head): nothing is cleaned then, and the next look cleans them.
    auto config = test_config();
    config.compaction_interval_ms = 1500;
    broker_fixture f(config);
    REQUIRE(declare_stream(f, "slow", true).ok());
    append(f, "slow", history);
    std::this_thread::sleep_for(1200ms);
    CHECK(read_all(f, "slow").size() == history.size());
    REQUIRE(eventually([&] { return read_all(f, "slow") == compacted_history; }, 10s));
}

TEST_CASE("what a pass kept as the head is cleaned by a later pass without more appends", "[unit][kernel][stream]")
{
    // The first look (the tick within a second) finds every record in the head; the next one
    // (a second later, once the interval passed) cleans the first three and must keep the
    // eleven appended at 1.05 s as they are, in the head. Nothing is appended after: those
    // eleven have to count as new for the look after, or their duplicates stay for good.
    auto config = test_config();
    config.compaction_interval_ms = 1000;
    broker_fixture f(config);
    REQUIRE(declare_stream(f, "busy", true).ok());
    append(f, "busy", { { "a", "a1" }, { "b", "b1" }, { "a", "a2" } });
    std::this_thread::sleep_for(1050ms);
    std::vector<std::pair<std::string, std::string>> later;
    for (int i = 3; i < 14; ++i) {
        later.emplace_back("a", "a" + std::to_string(i));
    }
    append(f, "busy", later);
    const records newest{ { 1, "b1" }, { 13, "a13" } };
    REQUIRE(eventually([&] { return read_all(f, "busy") == newest; }, 10s));
}

TEST_CASE("compaction is turned on by set_stream_config", "[unit][kernel][stream]")
{
    broker_fixture f(compacting(test_config()));
    REQUIRE(declare_stream(f, "later", false).ok());
    append(f, "later", history);
    sdk::stream_config c;
    c.compact = true;
    auto set = call<sdk::result<sdk::stream_info>>(
      f.k(), [c](sdk::kernel& k, auto done) { k.set_stream_config("/", "later", c, std::move(done)); });
    REQUIRE(set.ok());
    CHECK(set->compact);
    REQUIRE(eventually([&] { return read_all(f, "later") == compacted_history; }, 10s));
}

TEST_CASE("a compacted partition on the file engine is what a restart opens", "[unit][kernel][stream][restart]")
{
    plexus::tests::temp_dir dir;
    auto config = compacting(test_config());
    config.data_dir = dir.path.string();
    config.storage_engines = { { "file", "{}" } };
    config.default_storage = "file";
    {
        broker_fixture f(config);
        REQUIRE(declare_stream(f, "table", true).ok());
        append(f, "table", history);
        REQUIRE(eventually([&] { return read_all(f, "table") == compacted_history; }, 10s));
        append(f, "table", { { "z", "z1" } }); // into the compacted log: offset 7
        // Give the old generation's removal its two ticks.
        std::this_thread::sleep_for(2500ms);
    }
    broker_fixture again(config);
    records expected = compacted_history;
    expected.emplace_back(7, "z1");
    CHECK(read_all(again, "table") == expected);
    CHECK(offsets_of(again, "table").next == sdk::offset(8));
    // Only the latest generation's log is left on disk (the file engine's logs/<name>).
    std::vector<std::string> partition_logs;
    for (const auto& e : std::filesystem::directory_iterator(dir.path / "file" / "logs")) {
        if (e.path().filename().string().find("table") != std::string::npos) {
            partition_logs.push_back(e.path().filename().string());
        }
    }
    INFO(partition_logs.size());
    REQUIRE(partition_logs.size() == 1);
    CHECK(partition_logs[0].find("%7E1") != std::string::npos); // generation 1: "~1"
}
