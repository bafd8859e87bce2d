// What is particular to the RocksDB engine, beyond the conformance suite: the fsync policies,
// group commit through the engine, recovery after truncation, removal and crashes, stored
// batches (truncation inside one, large appends cut into several), the storage format check,
// the time index, multiple logs in SST files, disk full and failed syncs.
#include "key_codec.h"
#include "rocksdb_options.h"
#include "rocksdb_test_support.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <random>
#include <thread>

using namespace plexus;
using namespace plexus::test::rocks;
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

/// Starts a flush and returns where its result lands (the completion may come later).
std::shared_ptr<std::optional<sdk::result<offset>>> start_flush(sdk::log& log)
{
    auto slot = std::make_shared<std::optional<sdk::result<offset>>>();
    log.flush([slot](sdk::result<offset> r) { slot->emplace(std::move(r)); });
    return slot;
}

} // namespace

// ---- fsync policies ------------------------------------------------------------------------

TEST_CASE("fsync none: flush completes at once and never syncs", "[rocksdb][fsync]")
{
    engine_harness h(R"({"fsync": "none"})");
    auto log = h.open_log("q/v/none");
    REQUIRE(log->append(batch_of(3)).ok());
    CHECK(log->offsets().committed == offset{ 3 }); // nothing to wait for under `none`
    auto f = start_flush(*log);
    REQUIRE(f->has_value()); // inline, before flush() returned
    REQUIRE((*f)->ok());
    CHECK(***f == offset{ 3 });
    CHECK(h.pool().pending() == 0);
    CHECK(h.engine().wal_syncs() == 0);
    CHECK(h.apply({ { "k", "v" } }).ok());
    CHECK(h.engine().wal_syncs() == 0);
}

TEST_CASE("fsync batch: a flush syncs the WAL on the pool and completes on the owner shard", "[rocksdb][fsync]")
{
    engine_harness h(R"({"fsync": "batch"})");
    auto log = h.open_log("q/v/batch");
    REQUIRE(log->append(batch_of(3)).ok());
    CHECK(log->offsets().committed == offset{ 0 });
    CHECK(h.pool().pending() == 0); // appends alone do not sync under `batch`

    auto f = start_flush(*log);
    CHECK_FALSE(f->has_value());
    CHECK(h.pool().pending() == 0); // the sync starts behind the tasks queued on the shard
    h.shard().run_all();
    REQUIRE(h.pool().pending() == 1);
    h.pool().run_all();
    CHECK(h.engine().wal_syncs() == 1);
    CHECK_FALSE(f->has_value()); // posted to the shard, not run on the pool
    h.shard().run_all();
    REQUIRE(f->has_value());
    REQUIRE((*f)->ok());
    CHECK(***f == offset{ 3 });
    CHECK(log->offsets().committed == offset{ 3 });

    // Nothing new: the next flush completes at once, without a sync.
    auto g = start_flush(*log);
    REQUIRE(g->has_value());
    CHECK(***g == offset{ 3 });
    CHECK(h.engine().wal_syncs() == 1);

    // A truncation is a write too: a flush after it syncs again.
    REQUIRE(log->truncate_prefix(offset{ 1 }).ok());
    REQUIRE(h.flush(*log).ok());
    CHECK(h.engine().wal_syncs() == 2);
}

TEST_CASE("fsync always: appends are synced without a flush", "[rocksdb][fsync]")
{
    engine_harness h(R"({"fsync": "always"})");
    auto log = h.open_log("q/v/always");
    REQUIRE(log->append(batch_of(2)).ok());
    CHECK(h.pool().pending() == 1); // the append asked for a sync itself
    REQUIRE(log->append(batch_of(2, "m", 2)).ok());
    CHECK(h.pool().pending() == 1); // ... one at a time per log
    h.drive([&] { return log->offsets().committed == offset{ 4 }; });
    CHECK(log->offsets().committed == offset{ 4 });
    // The engine's sync ran after the second append too, so it covered both: the log's
    // second request, for that append, is answered without another.
    CHECK(h.engine().wal_syncs() == 1);
    auto f = start_flush(*log);
    REQUIRE(f->has_value()); // already durable
    CHECK(***f == offset{ 4 });

    // A flush while an append's sync runs waits for the sync covering it.
    REQUIRE(log->append(batch_of(1, "m", 4)).ok());
    auto g = start_flush(*log);
    CHECK_FALSE(g->has_value());
    REQUIRE(h.drive([&] { return g->has_value(); }));
    CHECK(***g == offset{ 5 });
}

TEST_CASE("a flush asked after the log's sync started is answered for the writes it covered", "[rocksdb][fsync]")
{
    engine_harness h;
    auto log = h.open_log("q/v/two-rounds");
    REQUIRE(log->append(batch_of(1)).ok());
    auto first = start_flush(*log);
    h.shard().run_all(); // the log's sync starts: it is queued on the pool
    REQUIRE(log->append(batch_of(1, "m", 1)).ok());
    auto second = start_flush(*log);
    REQUIRE(h.pool().pending() == 1); // the log has one sync in flight
    h.pool().run_all();
    CHECK_FALSE(first->has_value()); // posted to the shard, not run on the pool
    h.shard().run_all();
    REQUIRE(first->has_value());
    CHECK(***first == offset{ 1 }); // the log's first round promised offset 0 only
    // The second round asks for a write the engine's sync covered (it ran after the append):
    // answered without a second sync.
    REQUIRE(h.drive([&] { return second->has_value(); }));
    CHECK(***second == offset{ 2 });
    CHECK(h.engine().wal_syncs() == 1);
    CHECK(log->offsets().committed == offset{ 2 });

    // A write after a finished sync needs a new one.
    REQUIRE(log->append(batch_of(1, "m", 2)).ok());
    REQUIRE(h.flush(*log).ok());
    CHECK(h.engine().wal_syncs() == 2);
}

TEST_CASE("flushes asked in one turn of the shard share one sync", "[rocksdb][fsync]")
{
    engine_harness h;
    auto log = h.open_log("q/v/one-turn");
    std::vector<std::shared_ptr<std::optional<sdk::result<offset>>>> flushes;
    for (int i = 0; i < 8; ++i) {
        REQUIRE(log->append(batch_of(1, "m", i)).ok());
        flushes.push_back(start_flush(*log)); // as appenders' tasks do, one after another
    }
    CHECK(h.pool().pending() == 0);
    REQUIRE(h.drive([&] { return flushes.back()->has_value(); }));
    CHECK(h.engine().wal_syncs() == 1);
    for (auto& f : flushes) {
        REQUIRE(f->has_value());
        CHECK(***f == offset{ 8 });
    }
}

// ---- group commit through the engine -------------------------------------------------------

TEST_CASE("concurrent flushes of many logs and metadata writes share one WAL sync", "[rocksdb][group_commit]")
{
    engine_harness h;
    std::vector<std::unique_ptr<sdk::log>> logs;
    std::vector<std::shared_ptr<std::optional<sdk::result<offset>>>> flushes;
    for (int i = 0; i < 20; ++i) {
        logs.push_back(h.open_log("s/v/many/" + std::to_string(i)));
        REQUIRE(logs.back()->append(batch_of(i + 1)).ok());
    }
    for (auto& log : logs) {
        flushes.push_back(start_flush(*log));
    }
    int kv_done = 0;
    for (int i = 0; i < 5; ++i) {
        h.engine().metadata().apply({ { "k" + std::to_string(i), "v" } }, [&](const sdk::status& st) {
            CHECK(st.ok());
            ++kv_done;
        });
    }
    CHECK(h.pool().pending() == 1); // the metadata's sync; the logs' starts wait for the shard's turn
    // That sync covers the logs' writes too: their requests, made later, are answered by it.
    REQUIRE(h.drive([&] {
        return kv_done == 5 && std::all_of(flushes.begin(), flushes.end(), [](auto& f) { return f->has_value(); });
    }));
    CHECK(h.engine().wal_syncs() == 1);
    for (std::size_t i = 0; i < logs.size(); ++i) {
        CHECK(***flushes[i] == offset{ static_cast<std::int64_t>(i + 1) });
    }
}

TEST_CASE("metadata writes from many threads share syncs", "[rocksdb][group_commit]")
{
    temp_dir dir;
    thread_pool pool;
    auto config = storage::rocks::parse_config("{}");
    REQUIRE(config.ok());
    sdk::storage_context ctx;
    ctx.data_dir = dir.path().string();
    ctx.blocking = &pool;
    auto engine = storage::rocks::rocksdb_engine::open(ctx, *config);
    REQUIRE(engine.ok());
    auto& kv = (*engine)->metadata();

    constexpr int threads = 8;
    constexpr int per_thread = 40;
    std::atomic<int> failed{ 0 };
    std::vector<std::thread> writers;
    for (int t = 0; t < threads; ++t) {
        writers.emplace_back([&, t] {
            for (int i = 0; i < per_thread; ++i) {
                std::atomic<bool> durable{ false };
                kv.apply({ { "t" + std::to_string(t) + "/" + std::to_string(i), "v" } }, [&](const sdk::status& st) {
                    if (!st.ok()) {
                        ++failed;
                    }
                    durable = true;
                });
                while (!durable) {
                    std::this_thread::yield();
                }
            }
        });
    }
    for (auto& w : writers) {
        w.join();
    }
    CHECK(failed == 0);
    const auto syncs = (*engine)->wal_syncs();
    INFO("syncs: " << syncs);
    CHECK(syncs < static_cast<std::uint64_t>(threads * per_thread));
    auto all = kv.scan("t");
    REQUIRE(all.ok());
    CHECK(all->size() == static_cast<std::size_t>(threads * per_thread));
    CHECK((*engine)->close().ok());
}

// ---- recovery ------------------------------------------------------------------------------

TEST_CASE("offsets, sizes and records survive a reopen after truncate_prefix", "[rocksdb][recovery]")
{
    engine_harness h;
    std::uint64_t size_before = 0;
    {
        auto log = h.open_log("s/v/trunc/0");
        for (int i = 0; i < 200; i += 20) {
            REQUIRE(log->append(batch_of(20, "m", i)).ok());
        }
        const auto full = log->size_bytes();
        REQUIRE(log->truncate_prefix(offset{ 10 }).ok()); // point deletes
        CHECK(log->size_bytes() < full);
        REQUIRE(log->truncate_prefix(offset{ 150 }).ok()); // a range tombstone
        CHECK(log->offsets().start == offset{ 150 });
        size_before = log->size_bytes();
        std::uint64_t kept = 0;
        for (int i = 150; i < 200; ++i) {
            kept += make_message("m" + std::to_string(i))->size_bytes();
        }
        CHECK(size_before == kept);
        REQUIRE(h.flush(*log).ok());
    }
    SECTION("after a clean restart (records from SST files)")
    {
        h.restart();
    }
    SECTION("after reopening the handle only") {}
    auto log = h.open_log("s/v/trunc/0");
    CHECK(log->offsets().start == offset{ 150 });
    CHECK(log->offsets().next == offset{ 200 });
    CHECK(log->offsets().committed == offset{ 200 });
    CHECK(log->size_bytes() == size_before);
    auto below = h.read(*log, offset{ 149 }, 1024);
    REQUIRE_FALSE(below.ok());
    CHECK(below.error().code() == sdk::errc::not_found);
    auto all = h.read_all(*log, offset{ 150 });
    REQUIRE(all.ok());
    CHECK(bodies(*all) == expected_bodies(150, 50));
    auto a = log->append(batch_of(1, "m", 200));
    REQUIRE(a.ok());
    CHECK(a->first == offset{ 200 });
}

TEST_CASE("a log truncated to its end reopens empty at that offset", "[rocksdb][recovery]")
{
    engine_harness h;
    {
        auto log = h.open_log("q/v/drained");
        REQUIRE(log->append(batch_of(100)).ok());
        REQUIRE(log->truncate_prefix(offset{ 100 }).ok());
        CHECK(log->size_bytes() == 0);
    }
    h.restart();
    auto log = h.open_log("q/v/drained");
    CHECK(log->offsets().start == offset{ 100 });
    CHECK(log->offsets().next == offset{ 100 });
    CHECK(log->size_bytes() == 0);
    auto a = log->append(batch_of(2, "m", 100));
    REQUIRE(a.ok());
    CHECK(a->first == offset{ 100 });
    auto all = h.read_all(*log, offset{ 100 });
    REQUIRE(all.ok());
    CHECK(bodies(*all) == expected_bodies(100, 2));
}

TEST_CASE("a crash keeps what a flush confirmed (recovery from the WAL)", "[rocksdb][recovery]")
{
    // A copy of the directory taken while the engine is open and idle is what a crash leaves:
    // the WAL, no memtable flushed at close.
    temp_dir crashed;
    {
        engine_harness h;
        auto log = h.open_log("s/v/crash/0");
        REQUIRE(log->append(batch_of(30)).ok());
        REQUIRE(log->truncate_prefix(offset{ 5 }).ok());
        REQUIRE(h.flush(*log).ok());
        REQUIRE(h.apply({ { "cursor", "17" } }).ok());
        auto empty = h.open_log("s/v/crash/empty");
        std::filesystem::copy(h.dir(),
                              crashed.path(),
                              std::filesystem::copy_options::recursive |
                                std::filesystem::copy_options::overwrite_existing);
    }
    manual_pool pool;
    sdk::testing::fake_executor shard;
    sdk::storage_context ctx;
    ctx.data_dir = crashed.path().string();
    ctx.blocking = &pool;
    auto engine = storage::rocks::rocksdb_engine::open(ctx, *storage::rocks::parse_config("{}"));
    REQUIRE(engine.ok());
    auto names = (*engine)->list_logs();
    REQUIRE(names.ok());
    std::sort(names->begin(), names->end());
    CHECK(*names == std::vector<std::string>{ "s/v/crash/0", "s/v/crash/empty" });
    auto log = (*engine)->open_log(sdk::log_spec{ "s/v/crash/0", &shard });
    REQUIRE(log.ok());
    CHECK((*log)->offsets().start == offset{ 5 });
    CHECK((*log)->offsets().next == offset{ 30 });
    auto cursor = (*engine)->metadata().get("cursor");
    REQUIRE(cursor.ok());
    CHECK(*cursor == std::optional<std::string>("17"));
    log->reset();
    CHECK((*engine)->close().ok());
}

TEST_CASE("remove_log then reopen: empty, unlisted, old records gone", "[rocksdb][recovery]")
{
    engine_harness h;
    {
        auto keep = h.open_log("q/v/keep");
        REQUIRE(keep->append(batch_of(2, "k")).ok());
        auto gone = h.open_log("q/v/gone"); // the largest id: a restart may hand it out again
        REQUIRE(gone->append(batch_of(50, "g")).ok());
        REQUIRE(gone->truncate_prefix(offset{ 3 }).ok());

        auto busy = h.engine().remove_log("q/v/gone");
        REQUIRE_FALSE(busy.ok());
        CHECK(busy.code() == sdk::errc::locked);
    }
    REQUIRE(h.engine().remove_log("q/v/gone").ok());
    CHECK(h.engine().remove_log("q/v/gone").code() == sdk::errc::not_found);
    h.restart();
    auto names = h.engine().list_logs();
    REQUIRE(names.ok());
    CHECK(*names == std::vector<std::string>{ "q/v/keep" });

    auto again = h.open_log("q/v/gone");
    CHECK(again->offsets().start == offset{ 0 });
    CHECK(again->offsets().next == offset{ 0 });
    CHECK(again->size_bytes() == 0);
    auto r = h.read(*again, offset{ 0 }, 1 << 20);
    REQUIRE(r.ok());
    CHECK(r->empty());
    REQUIRE(again->append(batch_of(2, "new")).ok());
    auto all = h.read_all(*again, offset{ 0 });
    REQUIRE(all.ok());
    CHECK(bodies(*all) == expected_bodies(0, 2, "new"));
    auto keep = h.open_log("q/v/keep");
    auto kept = h.read_all(*keep, offset{ 0 });
    REQUIRE(kept.ok());
    CHECK(bodies(*kept) == expected_bodies(0, 2, "k"));
}

TEST_CASE("many logs, some empty, read back from SST files and memtables", "[rocksdb][recovery]")
{
    engine_harness h;
    const int logs = 6;
    {
        std::vector<std::unique_ptr<sdk::log>> open;
        for (int i = 0; i < logs; ++i) {
            open.push_back(h.open_log("s/v/mix/" + std::to_string(i)));
        }
        // Interleaved appends; logs 2 and 4 stay empty, log 5 is truncated to its end.
        for (int round = 0; round < 10; ++round) {
            for (int i : { 0, 1, 3, 5 }) {
                REQUIRE(open[i]->append(batch_of(7, "l" + std::to_string(i) + "-", round * 7)).ok());
            }
            if (round == 4) {
                REQUIRE(h.engine().flush_memtables().ok()); // half in SST files, half in memtables
            }
        }
        REQUIRE(open[5]->truncate_prefix(offset{ 70 }).ok());
        for (int i : { 0, 1, 3 }) {
            auto all = h.read_all(*open[i], offset{ 0 });
            REQUIRE(all.ok());
            CHECK(bodies(*all) == expected_bodies(0, 70, "l" + std::to_string(i) + "-"));
        }
    }
    h.restart();
    for (int i = 0; i < logs; ++i) {
        INFO("log " << i);
        auto log = h.open_log("s/v/mix/" + std::to_string(i));
        const bool written = i == 0 || i == 1 || i == 3;
        CHECK(log->offsets().start == offset{ i == 5 ? 70 : 0 });
        CHECK(log->offsets().next == offset{ written || i == 5 ? 70 : 0 });
        auto all = h.read_all(*log, log->offsets().start);
        REQUIRE(all.ok());
        CHECK(bodies(*all) ==
              (written ? expected_bodies(0, 70, "l" + std::to_string(i) + "-") : std::vector<std::string>{}));
        auto middle = h.read(*log, offset{ 33 }, 0);
        if (written) {
            REQUIRE(middle.ok());
            REQUIRE(middle->size() == 1);
            CHECK(middle->records[0]->body.to_string() == "l" + std::to_string(i) + "-33");
        }
    }
}

TEST_CASE("empty logs are listed and reopen after a restart", "[rocksdb][recovery]")
{
    engine_harness h;
    {
        auto log = h.open_log("q/v/never-written");
    }
    h.restart();
    auto names = h.engine().list_logs();
    REQUIRE(names.ok());
    CHECK(*names == std::vector<std::string>{ "q/v/never-written" });
    auto log = h.open_log("q/v/never-written");
    CHECK(log->offsets().next == offset{ 0 });
}

// ---- stored batches ------------------------------------------------------------------------

TEST_CASE("a truncation inside a stored batch keeps it and reports start exactly", "[rocksdb][batches]")
{
    engine_harness h;
    std::uint64_t kept_size = 0;
    {
        auto log = h.open_log("q/v/inside");
        REQUIRE(log->append(batch_of(100)).ok()); // one stored batch
        REQUIRE(log->append(batch_of(50, "m", 100)).ok());
        REQUIRE(log->truncate_prefix(offset{ 37 }).ok());
        CHECK(log->offsets().start == offset{ 37 });
        for (int i = 37; i < 150; ++i) {
            kept_size += make_message("m" + std::to_string(i))->size_bytes();
        }
        CHECK(log->size_bytes() == kept_size);
        auto below = h.read(*log, offset{ 36 }, 1 << 20);
        REQUIRE_FALSE(below.ok());
        CHECK(below.error().code() == sdk::errc::not_found);
        auto one = h.read(*log, offset{ 37 }, 0);
        REQUIRE(one.ok());
        CHECK(one->base_offset == offset{ 37 });
        CHECK(bodies(*one) == expected_bodies(37, 1));
        REQUIRE(h.flush(*log).ok());
    }
    SECTION("after a clean restart")
    {
        h.restart();
    }
    SECTION("after reopening the handle only") {}
    auto log = h.open_log("q/v/inside");
    CHECK(log->offsets().start == offset{ 37 });
    CHECK(log->offsets().next == offset{ 150 });
    CHECK(log->size_bytes() == kept_size);
    auto all = h.read_all(*log, offset{ 37 });
    REQUIRE(all.ok());
    CHECK(bodies(*all) == expected_bodies(37, 113));
    // Step by step through the rest of the first batch and into the second.
    for (int s = 38; s <= 120; s += 41) {
        INFO("start " << s);
        REQUIRE(log->truncate_prefix(offset{ s }).ok());
        CHECK(log->offsets().start == offset{ s });
        std::uint64_t expect = 0;
        for (int i = s; i < 150; ++i) {
            expect += make_message("m" + std::to_string(i))->size_bytes();
        }
        CHECK(log->size_bytes() == expect);
        auto rest = h.read_all(*log, offset{ s });
        REQUIRE(rest.ok());
        CHECK(bodies(*rest) == expected_bodies(s, 150 - s));
        CHECK(h.read(*log, offset{ s - 1 }, 100).error().code() == sdk::errc::not_found);
    }
    REQUIRE(log->truncate_prefix(offset{ 150 }).ok());
    CHECK(log->size_bytes() == 0);
    log.reset();
    h.restart();
    log = h.open_log("q/v/inside");
    CHECK(log->offsets().start == offset{ 150 });
    CHECK(log->offsets().next == offset{ 150 });
    CHECK(log->size_bytes() == 0);
}

TEST_CASE("a large append is stored in parts, read and truncated across them", "[rocksdb][batches]")
{
    engine_harness h;
    // 4 KiB bodies: 3 MiB in one append, cut into stored batches of about 256 KiB.
    const int n = 768;
    auto body = [](int i) { return std::to_string(i) + std::string(4096, 'x'); };
    sdk::record_batch big;
    for (int i = 0; i < n; ++i) {
        big.records.push_back(make_message(body(i), i));
    }
    std::uint64_t total = 0;
    for (const auto& m : big.records) {
        total += m->size_bytes();
    }
    auto log = h.open_log("s/v/big");
    auto r = log->append(std::move(big));
    REQUIRE(r.ok());
    CHECK(r->first == offset{ 0 });
    CHECK(r->last == offset{ n - 1 });
    CHECK(log->size_bytes() == total);
    const auto one_size = make_message(body(100), 100)->size_bytes();

    auto check_from = [&](int from) {
        INFO("from " << from);
        // A budget of three records, crossing a part boundary somewhere.
        auto got = h.read(*log, offset{ from }, 3 * one_size + 2);
        REQUIRE(got.ok());
        REQUIRE(got->size() == std::min<std::size_t>(3, static_cast<std::size_t>(n - from)));
        for (std::size_t i = 0; i < got->size(); ++i) {
            CHECK(got->records[i]->body.to_string() == body(from + static_cast<int>(i)));
            CHECK(got->records[i]->timestamp() == from + static_cast<int>(i));
        }
    };
    for (int from : { 0, 1, 60, 61, 62, 63, 64, 65, 127, 128, 129, 500, n - 1 }) {
        check_from(from);
    }
    auto all = h.read_all(*log, offset{ 0 });
    REQUIRE(all.ok());
    REQUIRE(all->size() == static_cast<std::size_t>(n));
    auto ts = h.offset_for_timestamp(*log, 700);
    REQUIRE(ts.ok());
    CHECK(*ts == offset{ 700 });

    REQUIRE(log->truncate_prefix(offset{ 300 }).ok()); // drops whole parts with a range tombstone
    std::uint64_t kept = 0;
    for (int i = 300; i < n; ++i) {
        kept += make_message(body(i), i)->size_bytes();
    }
    CHECK(log->size_bytes() == kept);
    log.reset();
    h.restart();
    log = h.open_log("s/v/big");
    CHECK(log->offsets().start == offset{ 300 });
    CHECK(log->offsets().next == offset{ n });
    CHECK(log->size_bytes() == kept);
    for (int from : { 300, 301, 511, 512, 513, n - 1 }) {
        check_from(from);
    }
    CHECK(h.read(*log, offset{ 299 }, 100).error().code() == sdk::errc::not_found);
    ts = h.offset_for_timestamp(*log, 10);
    REQUIRE(ts.ok());
    CHECK(*ts == offset{ 300 });
}

// ---- storage format ------------------------------------------------------------------------

namespace {

sdk::result<std::unique_ptr<storage::rocks::rocksdb_engine>> open_engine(const std::filesystem::path& dir,
                                                                         sdk::blocking_pool& pool)
{
    sdk::storage_context ctx;
    ctx.data_dir = dir.string();
    ctx.blocking = &pool;
    return storage::rocks::rocksdb_engine::open(ctx, *storage::rocks::parse_config("{}"));
}

} // namespace

TEST_CASE("a database of another storage format is refused, naming it", "[rocksdb][format]")
{
    temp_dir dir;
    manual_pool pool;
    {
        auto engine = open_engine(dir.path(), pool);
        REQUIRE(engine.ok());
        sdk::testing::fake_executor shard;
        auto log = (*engine)->open_log(sdk::log_spec{ "q/v/f", &shard });
        REQUIRE(log.ok());
        REQUIRE((*log)->append(batch_of(3)).ok());
        log->reset();
        REQUIRE((*engine)->close().ok());
    }
    std::string marker;
    change_database(dir.path(), [&](rocksdb::DB& db, auto& families) {
        REQUIRE(db.Get(rocksdb::ReadOptions(), families[0], format_key, &marker).ok());
    });
    CHECK(marker == "2");

    SECTION("a newer format")
    {
        change_database(dir.path(), [](rocksdb::DB& db, auto& families) {
            REQUIRE(db.Put(rocksdb::WriteOptions(), families[0], format_key, "5").ok());
        });
        auto engine = open_engine(dir.path(), pool);
        REQUIRE_FALSE(engine.ok());
        CHECK(engine.error().code() == sdk::errc::not_supported);
        const std::string message(engine.error().message());
        CHECK(message.find(dir.path().string()) != std::string::npos);
        CHECK(message.find("format '5'") != std::string::npos);
    }
    SECTION("data without a marker (format 1)")
    {
        change_database(dir.path(), [](rocksdb::DB& db, auto& families) {
            REQUIRE(db.Delete(rocksdb::WriteOptions(), families[0], format_key).ok());
        });
        auto engine = open_engine(dir.path(), pool);
        REQUIRE_FALSE(engine.ok());
        CHECK(engine.error().code() == sdk::errc::not_supported);
        const std::string message(engine.error().message());
        CHECK(message.find(dir.path().string()) != std::string::npos);
        CHECK(message.find("format 1") != std::string::npos);
    }
    SECTION("the marker as written opens again")
    {
        auto engine = open_engine(dir.path(), pool);
        REQUIRE(engine.ok());
        CHECK((*engine)->close().ok());
    }
}

// ---- time index ----------------------------------------------------------------------------

namespace {

/// The first offset in [start, timestamps.size()) with timestamp >= ts: the answer by scan.
std::int64_t by_scan(const std::vector<std::int64_t>& timestamps, std::int64_t start, std::int64_t ts)
{
    for (auto o = start; o < static_cast<std::int64_t>(timestamps.size()); ++o) {
        if (timestamps[static_cast<std::size_t>(o)] >= ts) {
            return o;
        }
    }
    return static_cast<std::int64_t>(timestamps.size());
}

void check_all_queries(engine_harness& h,
                       sdk::log& log,
                       const std::vector<std::int64_t>& timestamps,
                       std::int64_t start,
                       const std::vector<std::int64_t>& queries)
{
    for (auto ts : queries) {
        auto r = h.offset_for_timestamp(log, ts);
        REQUIRE(r.ok());
        INFO("ts " << ts << " start " << start);
        CHECK((*r)() == by_scan(timestamps, start, ts));
    }
}

} // namespace

TEST_CASE("offset_for_timestamp agrees with a scan, through truncation and restart", "[rocksdb][time_index]")
{
    // A small interval puts an index entry every few records.
    engine_harness h(R"({"time_index_interval_bytes": 200})");
    std::mt19937_64 rng(7);
    std::vector<std::int64_t> timestamps;
    const bool monotonic = GENERATE(true, false);
    INFO((monotonic ? "monotonic" : "unordered") << " timestamps");
    std::int64_t clock = -500;
    auto log = h.open_log("s/v/time/0");
    while (timestamps.size() < 600) {
        sdk::record_batch b;
        const int n = 1 + static_cast<int>(rng() % 25);
        for (int i = 0; i < n; ++i) {
            const std::int64_t ts = monotonic ? (clock += static_cast<std::int64_t>(rng() % 3))
                                              : static_cast<std::int64_t>(rng() % 2000) - 500;
            timestamps.push_back(ts);
            b.records.push_back(make_message("m" + std::to_string(timestamps.size() - 1), ts));
        }
        REQUIRE(log->append(std::move(b)).ok());
    }
    std::vector<std::int64_t> queries{
        std::numeric_limits<std::int64_t>::min(), -10000, 10000, std::numeric_limits<std::int64_t>::max()
    };
    for (int i = 0; i < 60; ++i) {
        queries.push_back(static_cast<std::int64_t>(rng() % 2200) - 600);
    }
    check_all_queries(h, *log, timestamps, 0, queries);
    REQUIRE(h.engine().flush_memtables().ok());
    std::int64_t start = 0;
    for (std::int64_t s : { 3, 40, 41, 250, 400 }) {
        REQUIRE(log->truncate_prefix(offset{ s }).ok());
        start = s;
        check_all_queries(h, *log, timestamps, start, queries);
    }
    log.reset();
    h.restart();
    log = h.open_log("s/v/time/0");
    check_all_queries(h, *log, timestamps, start, queries);
    // Appends after the restart continue the index from the recovered running maximum.
    for (int i = 0; i < 100; ++i) {
        const std::int64_t ts = monotonic ? (clock += 2) : static_cast<std::int64_t>(rng() % 2000) - 500;
        timestamps.push_back(ts);
        sdk::record_batch b;
        b.records.push_back(make_message("late", ts));
        REQUIRE(log->append(std::move(b)).ok());
    }
    check_all_queries(h, *log, timestamps, start, queries);
    REQUIRE(log->truncate_prefix(offset{ static_cast<std::int64_t>(timestamps.size()) }).ok());
    check_all_queries(h, *log, timestamps, static_cast<std::int64_t>(timestamps.size()), queries);
}

// ---- concurrency with the owner shard ------------------------------------------------------

TEST_CASE("a read queued before a truncation past it answers not_found", "[rocksdb][read]")
{
    engine_harness h;
    auto log = h.open_log("q/v/race");
    REQUIRE(log->append(batch_of(10)).ok());
    std::optional<sdk::result<sdk::record_batch>> got;
    log->read(offset{ 2 }, 1 << 20, [&](sdk::result<sdk::record_batch> r) { got.emplace(std::move(r)); });
    REQUIRE(h.pool().pending() == 1);
    REQUIRE(log->truncate_prefix(offset{ 5 }).ok());
    REQUIRE(h.drive([&] { return got.has_value(); }));
    REQUIRE_FALSE(got->ok());
    CHECK(got->error().code() == sdk::errc::not_found);
}

TEST_CASE("a handle that outlives its engine fails cleanly", "[rocksdb][lifecycle]")
{
    engine_harness h;
    auto log = h.open_log("q/v/orphan");
    REQUIRE(log->append(batch_of(2)).ok());
    h.close();
    auto a = log->append(batch_of(1));
    REQUIRE_FALSE(a.ok());
    CHECK(a.error().code() == sdk::errc::unavailable);
    CHECK(log->truncate_prefix(offset{ 1 }).code() == sdk::errc::unavailable);
    std::optional<sdk::result<sdk::record_batch>> r;
    log->read(offset{ 0 }, 100, [&](sdk::result<sdk::record_batch> v) { r.emplace(std::move(v)); });
    REQUIRE(r.has_value());
    CHECK(r->error().code() == sdk::errc::unavailable);
    auto f = start_flush(*log);
    h.shard().run_all();
    REQUIRE(f->has_value());
    CHECK((*f)->error().code() == sdk::errc::unavailable);
    log.reset();
}

TEST_CASE("metadata scans with 0xff bytes in the prefix", "[rocksdb][kv]")
{
    engine_harness h;
    const std::string ff("\xff", 1);
    REQUIRE(h.apply({ { "a" + ff, "1" }, { "a" + ff + "x", "2" }, { "b", "3" }, { ff + ff, "4" }, { ff, "5" } }).ok());
    auto s = h.engine().metadata().scan("a" + ff);
    REQUIRE(s.ok());
    REQUIRE(s->size() == 2);
    CHECK(s->at(1).second == "2");
    auto top = h.engine().metadata().scan(ff);
    REQUIRE(top.ok());
    REQUIRE(top->size() == 2);
    CHECK(top->at(0).second == "5");
    CHECK(top->at(1).second == "4");
}

// ---- failures ------------------------------------------------------------------------------

TEST_CASE("disk full: append fails with resource_exhausted, changes nothing, works again later", "[rocksdb][faults]")
{
    faulty_env env;
    engine_harness h("{}", env.env.get());
    auto log = h.open_log("q/v/full");
    REQUIRE(log->append(batch_of(3)).ok());
    const auto before = log->offsets();
    const auto size = log->size_bytes();

    env.fs->disk_full = true;
    auto a = log->append(batch_of(2, "m", 3));
    REQUIRE_FALSE(a.ok());
    CHECK(a.error().code() == sdk::errc::resource_exhausted);
    CHECK(log->offsets().next == before.next);
    CHECK(log->offsets().start == before.start);
    CHECK(log->size_bytes() == size);
    CHECK(h.apply({ { "k", "v" } }).code() == sdk::errc::resource_exhausted);
    auto all = h.read_all(*log, offset{ 0 });
    REQUIRE(all.ok());
    CHECK(bodies(*all) == expected_bodies(0, 3));

    // RocksDB resumes by itself once it sees free space; appends then continue densely.
    env.fs->disk_full = false;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    sdk::result<sdk::offset_range> b = log->append(batch_of(2, "m", 3));
    while (!b.ok() && std::chrono::steady_clock::now() < deadline) {
        CHECK(b.error().code() == sdk::errc::resource_exhausted);
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        b = log->append(batch_of(2, "m", 3));
    }
    REQUIRE(b.ok());
    CHECK(b->first == offset{ 3 });
    REQUIRE(h.flush(*log).ok());
    all = h.read_all(*log, offset{ 0 });
    REQUIRE(all.ok());
    CHECK(bodies(*all) == expected_bodies(0, 5));
}

TEST_CASE("a failed WAL sync fails the flush and leaves committed", "[rocksdb][faults]")
{
    faulty_env env;
    engine_harness h("{}", env.env.get());
    auto log = h.open_log("q/v/sync-fails");
    REQUIRE(log->append(batch_of(3)).ok());
    env.fs->sync_fails = true;
    auto f = h.flush(*log);
    REQUIRE_FALSE(f.ok());
    CHECK(f.error().code() == sdk::errc::io_error);
    CHECK(log->offsets().committed == offset{ 0 });
    CHECK(log->offsets().next == offset{ 3 });
    // RocksDB now refuses writes until a restart: after a failed fsync nobody knows what the
    // page cache kept, so nothing more may be claimed durable.
    env.fs->sync_fails = false;
    auto a = log->append(batch_of(1, "m", 3));
    REQUIRE_FALSE(a.ok());
    CHECK(a.error().code() == sdk::errc::io_error);
    CHECK(log->offsets().next == offset{ 3 });
    auto g = h.flush(*log);
    REQUIRE_FALSE(g.ok());
    CHECK(g.error().code() == sdk::errc::io_error);
    auto all = h.read_all(*log, offset{ 0 });
    REQUIRE(all.ok()); // reads still work
    CHECK(bodies(*all) == expected_bodies(0, 3));
    h.expect_failed_close();
}

// ---- encoded batches (ADR 0019) -------------------------------------------------------------

TEST_CASE("the first encoded batch raises the storage format marker to 3", "[rocksdb][format][encoded]")
{
    temp_dir dir;
    manual_pool pool;
    sdk::testing::fake_executor shard;
    auto append_and_close = [&](sdk::record_batch b) {
        auto engine = open_engine(dir.path(), pool);
        REQUIRE(engine.ok());
        auto log = (*engine)->open_log(sdk::log_spec{ "s/v/f", &shard });
        REQUIRE(log.ok());
        REQUIRE((*log)->append(std::move(b)).ok());
        log->reset();
        REQUIRE((*engine)->close().ok());
    };
    append_and_close(batch_of(2));
    CHECK(marker_of(dir.path()) == "2"); // messages only: a build that reads format 2 still opens it
    append_and_close(encoded_of(3, 20, 7));
    CHECK(marker_of(dir.path()) == "3");
    append_and_close(batch_of(1, "m", 5));
    CHECK(marker_of(dir.path()) == "3");

    SECTION("format 3 opens again")
    {
        auto engine = open_engine(dir.path(), pool);
        REQUIRE(engine.ok());
        auto log = (*engine)->open_log(sdk::log_spec{ "s/v/f", &shard });
        REQUIRE(log.ok());
        CHECK((*log)->offsets().next == offset{ 6 });
        log->reset();
        REQUIRE((*engine)->close().ok());
    }
    SECTION("a newer format is still refused")
    {
        change_database(dir.path(), [](rocksdb::DB& db, auto& families) {
            REQUIRE(db.Put(rocksdb::WriteOptions(), families[0], format_key, "5").ok());
        });
        auto engine = open_engine(dir.path(), pool);
        REQUIRE_FALSE(engine.ok());
        CHECK(engine.error().code() == sdk::errc::not_supported);
        CHECK(std::string(engine.error().message()).find("format '5'") != std::string::npos);
    }
}

TEST_CASE("an encoded batch is one stored batch whatever its size, up to a hard limit", "[rocksdb][batches][encoded]")
{
    engine_harness h;
    auto log = h.open_log("s/v/encoded-big");
    REQUIRE(log->append(batch_of(2)).ok());
    const std::uint64_t messages = log->size_bytes();
    const std::size_t size = 3u << 20;                     // far above a stored batch of messages (256 KiB)
    REQUIRE(log->append(encoded_of(1000, size, 50)).ok()); // offsets 2..1001
    const std::uint64_t tail = make_message("m1002")->size_bytes();
    REQUIRE(log->append(batch_of(1, "m", 1002)).ok());
    CHECK(log->size_bytes() == messages + size + tail); // an encoded batch counts its bytes

    auto check_whole = [&](offset from) {
        INFO("from " << from());
        auto r = h.read(*log, from, 1);
        REQUIRE(r.ok());
        REQUIRE(r->encoded.has_value());
        CHECK(r->base_offset == offset{ 2 });
        CHECK(r->encoded->count == 1000);
        CHECK(r->encoded->max_timestamp == sdk::timestamp_ms(50));
        const auto bytes = r->encoded->bytes.to_string();
        REQUIRE(bytes.size() == size);
        CHECK(bytes.substr(0, 8) == std::string("\0\0\0\0\0\0\0\x02", 8));
        CHECK(bytes.find_first_not_of('e', 8) == std::string::npos);
    };
    check_whole(offset{ 2 });
    check_whole(offset{ 1001 });
    auto before = h.read(*log, offset{ 0 }, 1u << 30);
    REQUIRE(before.ok());
    CHECK_FALSE(before->encoded.has_value()); // a read never mixes the two
    CHECK(bodies(*before) == expected_bodies(0, 2));

    // A truncation inside it keeps it whole on disk, and counted, until it goes entirely.
    REQUIRE(log->truncate_prefix(offset{ 500 }).ok());
    CHECK(log->size_bytes() == size + tail);
    h.restart();
    log = h.open_log("s/v/encoded-big");
    CHECK(log->offsets().start == offset{ 500 });
    CHECK(log->offsets().next == offset{ 1003 });
    CHECK(log->size_bytes() == size + tail);
    check_whole(offset{ 500 });
    REQUIRE(log->truncate_prefix(offset{ 1002 }).ok());
    CHECK(log->size_bytes() == tail);

    SECTION("above 64 MiB it is refused, and nothing changes")
    {
        auto r = log->append(encoded_of(1, (64u << 20) + 1, 0));
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code() == sdk::errc::invalid_argument);
        CHECK(log->offsets().next == offset{ 1003 });
    }
    SECTION("messages and encoded records in one batch are refused")
    {
        auto b = encoded_of(1, 20, 0);
        b.records.push_back(make_message("x"));
        auto r = log->append(std::move(b));
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code() == sdk::errc::invalid_argument);
        CHECK(log->offsets().next == offset{ 1003 });
    }
}

TEST_CASE("encoded batches join in a read up to the budget, and stop at another format", "[rocksdb][encoded]")
{
    engine_harness h;
    auto log = h.open_log("s/v/encoded-join");
    for (int i = 0; i < 3; ++i) {
        REQUIRE(log->append(encoded_of(2, 100, i)).ok()); // 0..5
    }
    auto other = encoded_of(1, 100, 3);
    other.encoded->format = "other.v1";
    REQUIRE(log->append(std::move(other)).ok()); // 6
    auto r = h.read(*log, offset{ 1 }, 250);
    REQUIRE(r.ok());
    REQUIRE(r->encoded.has_value());
    CHECK(r->base_offset == offset{ 0 });
    CHECK(r->encoded->count == 4); // two stored batches: a third would exceed 250 bytes
    CHECK(r->encoded->bytes.size() == 200);
    CHECK(r->encoded->max_timestamp == sdk::timestamp_ms(1));
    r = h.read(*log, offset{ 4 }, 1u << 20);
    REQUIRE(r.ok());
    CHECK(r->base_offset == offset{ 4 });
    CHECK(r->encoded->count == 2); // the next batch is of another format
    r = h.read(*log, offset{ 6 }, 1u << 20);
    REQUIRE(r.ok());
    CHECK(r->encoded->format == "other.v1");
    CHECK(r->encoded->bytes.to_string().substr(0, 8) == std::string("\0\0\0\0\0\0\0\x06", 8));
}

TEST_CASE("offset_for_timestamp over encoded batches uses the time index, through truncation and restart",
          "[rocksdb][time-index][encoded]")
{
    engine_harness h(R"({"time_index_interval_bytes": 150})");
    auto log = h.open_log("s/v/encoded-time");
    // Batch i: offsets 10i..10i+9, max timestamp 100i, 100 bytes: an index entry every 2nd.
    for (int i = 0; i < 20; ++i) {
        REQUIRE(log->append(encoded_of(10, 100, 100 * i)).ok());
    }
    auto check = [&](std::int64_t ts, std::int64_t want) { h.check_offset_for_timestamp(*log, ts, want); };
    check(0, 0);
    check(1, 10);
    check(100, 10);
    check(1050, 110);
    check(1900, 190);
    check(1901, 200);
    REQUIRE(log->truncate_prefix(offset{ 55 }).ok());
    check(0, 55); // never below start, though the batch holding it begins at 50
    check(500, 55);
    check(501, 60);
    h.restart();
    log = h.open_log("s/v/encoded-time");
    check(0, 55);
    check(1050, 110);
    REQUIRE(log->append(encoded_of(10, 100, 5000)).ok()); // the running maximum survived
    check(1901, 200);
    check(5000, 200);
    check(5001, 210);
}
