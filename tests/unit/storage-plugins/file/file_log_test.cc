// The file engine's own behaviour beyond the conformance suite: segments, durability
// policies, group commit and failures of the disk.
#include "file_harness.h"

#include <catch2/catch.hpp>

#include <cerrno>

using namespace plexus;
using namespace plexus::test::file;
using sdk::offset;

TEST_CASE("file log: segments roll by size and truncate_prefix deletes whole ones", "[unit][storage][file]")
{
    file_harness h(R"({"segment_bytes": 4096})");
    auto log = h.open("q/v/roll");
    for (int i = 0; i < 100; ++i) {
        REQUIRE(log->append(batch_of(10, "m", i * 10)).ok());
    }
    const auto files = h.segments("q/v/roll");
    REQUIRE(files.size() > 3);
    for (const auto& f : files) {
        CHECK(std::filesystem::file_size(f) <= 4096u);
    }
    auto all = h.read_bodies(*log, offset{ 0 });
    REQUIRE(all.ok());
    CHECK(*all == bodies_of(0, 1000));

    const auto bytes_before = log->size_bytes();
    REQUIRE(log->truncate_prefix(offset{ 500 }).ok());
    CHECK(log->size_bytes() < bytes_before);
    const auto left = h.segments("q/v/roll");
    CHECK(left.size() < files.size());
    CHECK(left.back() == files.back());
    auto rest = h.read_bodies(*log, offset{ 500 });
    REQUIRE(rest.ok());
    CHECK(*rest == bodies_of(500, 500));

    SECTION("a restart keeps the start, the records and the segments' saved indexes")
    {
        log.reset();
        REQUIRE(h.start(R"({"segment_bytes": 4096})").ok());
        auto again = h.open("q/v/roll");
        CHECK(again->offsets().start == offset{ 500 });
        CHECK(again->offsets().next == offset{ 1000 });
        CHECK_FALSE(h.logged("index rebuilt")); // every index was saved: nothing scanned
        auto back = h.read_bodies(*again, offset{ 500 });
        REQUIRE(back.ok());
        CHECK(*back == bodies_of(500, 500));
    }
}

TEST_CASE("file log: fsync policies", "[unit][storage][file]")
{
    int syncs = 0;
    file_harness h;
    h.hooks.sync_error = [&] {
        ++syncs;
        return 0;
    };

    SECTION("batch: nothing is synced until a flush asks; one sync serves all waiting flushes")
    {
        REQUIRE(h.start(R"({"fsync": "batch"})").ok());
        auto log = h.open("q/v/batch");
        REQUIRE(log->append(batch_of(1)).ok());
        h.shard.run_all();
        CHECK(syncs == 0);
        CHECK(log->offsets().committed == offset{ 0 });

        // The sync starts after the shard's turn: the 64 flushes of one turn share it, and it
        // covers every append made before it started.
        std::vector<sdk::offset> confirmed;
        auto record = [&](sdk::result<sdk::offset> r) {
            REQUIRE(r.ok());
            confirmed.push_back(*r);
        };
        log->flush(record);
        for (int i = 0; i < 63; ++i) {
            REQUIRE(log->append(batch_of(1, "m", i + 1)).ok());
            log->flush(record);
        }
        CHECK(syncs == 0);
        h.shard.run_all();
        CHECK(syncs == 1);
        REQUIRE(confirmed.size() == 64);
        CHECK(confirmed.front() == offset{ 64 });
        CHECK(confirmed.back() == offset{ 64 });
        CHECK(log->offsets().committed == offset{ 64 });

        // A flush after the group is confirmed takes a sync of its own.
        REQUIRE(log->append(batch_of(1, "m", 64)).ok());
        log->flush(record);
        h.shard.run_all();
        CHECK(syncs == 2);
        REQUIRE(confirmed.size() == 65);
        CHECK(confirmed.back() == offset{ 65 });
    }
    SECTION("batch with a delay: the flush waits for the timer, then syncs once")
    {
        REQUIRE(h.start(R"({"fsync": "batch", "batch_delay_ms": 5})").ok());
        auto log = h.open("q/v/delay");
        int done = 0;
        for (int i = 0; i < 10; ++i) {
            REQUIRE(log->append(batch_of(1, "m", i)).ok());
            log->flush([&](sdk::result<sdk::offset> r) {
                REQUIRE(r.ok());
                ++done;
            });
        }
        h.shard.advance(std::chrono::milliseconds(4));
        CHECK(done == 0);
        CHECK(syncs == 0);
        h.shard.advance(std::chrono::milliseconds(1));
        CHECK(done == 10);
        CHECK(syncs == 1);
    }
    SECTION("always: appends are synced without being asked")
    {
        REQUIRE(h.start(R"({"fsync": "always"})").ok());
        auto log = h.open("q/v/always");
        REQUIRE(log->append(batch_of(3)).ok());
        h.shard.run_all();
        CHECK(syncs >= 1);
        CHECK(log->offsets().committed == offset{ 3 });
    }
    SECTION("none: flush completes at once without a sync")
    {
        REQUIRE(h.start(R"({"fsync": "none"})").ok());
        auto log = h.open("q/v/none");
        REQUIRE(log->append(batch_of(3)).ok());
        auto f = h.flush(*log);
        REQUIRE(f.ok());
        CHECK(*f == offset{ 3 });
        CHECK(syncs == 0);
    }
}

TEST_CASE("file log: a full disk fails the append cleanly and service resumes", "[unit][storage][file]")
{
    int fail_with = 0;
    file_harness h;
    h.hooks.write_error = [&](std::size_t) { return fail_with; };
    REQUIRE(h.start("{}").ok());
    auto log = h.open("q/v/full");
    REQUIRE(log->append(batch_of(5)).ok());
    const auto bytes = log->size_bytes();
    const auto file_bytes = std::filesystem::file_size(h.segments("q/v/full").front());

    fail_with = ENOSPC;
    auto r = log->append(batch_of(3, "x"));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == sdk::errc::resource_exhausted);
    CHECK(std::string(r.error().message()).find("No space left") != std::string::npos);
    CHECK(log->offsets().next == offset{ 5 });
    CHECK(log->size_bytes() == bytes);
    CHECK(std::filesystem::file_size(h.segments("q/v/full").front()) == file_bytes);

    fail_with = 0;
    auto a = log->append(batch_of(2, "m", 5));
    REQUIRE(a.ok());
    CHECK(a->first == offset{ 5 });
    auto f = h.flush(*log);
    REQUIRE(f.ok());
    log.reset();
    REQUIRE(h.start("{}").ok());
    auto again = h.open("q/v/full");
    auto all = h.read_bodies(*again, offset{ 0 });
    REQUIRE(all.ok());
    CHECK(*all == bodies_of(0, 7));
}

TEST_CASE("file log: a failed sync fails its flushes and stops the log taking writes", "[unit][storage][file]")
{
    file_harness h;
    h.hooks.sync_error = [] { return EIO; };
    REQUIRE(h.start("{}").ok());
    auto log = h.open("q/v/eio");
    REQUIRE(log->append(batch_of(2)).ok());
    auto f = h.flush(*log);
    REQUIRE_FALSE(f.ok());
    CHECK(f.error().code() == sdk::errc::io_error);
    CHECK(log->offsets().committed == offset{ 0 });
    auto a = log->append(batch_of(1));
    REQUIRE_FALSE(a.ok());
    CHECK(a.error().code() == sdk::errc::io_error);
    CHECK(h.logged("stops taking writes"));
    // What was written before stays readable.
    auto all = h.read_bodies(*log, offset{ 0 });
    REQUIRE(all.ok());
    CHECK(*all == bodies_of(0, 2));
}

TEST_CASE("file engine: one process per data directory, odd log names", "[unit][storage][file]")
{
    file_harness h;
    SECTION("a second engine on the same directory is refused")
    {
        test::file::inline_blocking_pool pool;
        sdk::storage_context ctx;
        ctx.data_dir = h.dir.string();
        ctx.blocking = &pool;
        auto second = storage::file::file_engine::open(ctx, {});
        REQUIRE_FALSE(second.ok());
        CHECK(second.error().code() == sdk::errc::locked);
        CHECK(std::string(second.error().message()).find("in use by another process") != std::string::npos);
    }
    SECTION("names with separators, dots and long names map to distinct directories")
    {
        const std::string long_name = "q/v/" + std::string(300, 'x');
        const std::vector<std::string> names = { "q/v/a.b", "q/v/a%2Eb", "q/../x", "s/v/t/0", long_name };
        for (const auto& n : names) {
            auto log = h.open(n);
            REQUIRE(log->append(batch_of(1, n)).ok());
            CHECK(h.log_dir(n).parent_path() == h.dir / "logs");
            CHECK(h.log_dir(n).filename().string().size() <= 200);
        }
        auto listed = h.engine().list_logs();
        REQUIRE(listed.ok());
        auto sorted = names;
        std::sort(sorted.begin(), sorted.end());
        CHECK(*listed == sorted);
    }
}
