// What append_at() and log_spec::first_offset mean for the RocksDB engine's keys (ADR 0020),
// beyond the conformance suite: the first gap raises the storage format marker to 4, a gap is
// told from a batch lost from the middle by the byte counts, a start in a gap survives restarts
// and truncations, and encoded batches and the time index work across gaps.
#include "key_codec.h"
#include "rocksdb_test_support.h"

#include <catch2/catch.hpp>

#include <limits>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

using namespace plexus;
using namespace plexus::test::rocks;
using sdk::offset;

namespace {

constexpr std::size_t whole = 1u << 30;

/// `n` messages "<prefix><offset>" stamped `ts`, to be appended at `base` with append_at().
sdk::record_batch batch_at(std::int64_t base, int n, const std::string& prefix = "m", std::int64_t ts = 0)
{
    auto b = batch_of(n, prefix, static_cast<int>(base), ts);
    b.base_offset = offset{ base };
    return b;
}

sdk::log_spec spec_of(std::string name, std::int64_t first_offset)
{
    sdk::log_spec spec;
    spec.name = std::move(name);
    spec.first_offset = offset{ first_offset };
    return spec;
}

/// The first offsets of every stored batch of the engine's first log (id 1), read with the
/// engine closed.
std::vector<std::int64_t> batch_keys_of_first_log(const std::filesystem::path& dir)
{
    std::vector<std::int64_t> keys;
    change_database(dir, [&](rocksdb::DB& db, auto& families) {
        const storage::rocks::log_id id(1);
        std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(rocksdb::ReadOptions(), families[1]));
        for (it->Seek(storage::rocks::fixed_key::first_of(id).slice()); it->Valid(); it->Next()) {
            auto first = storage::rocks::offset_of_batch_key(it->key(), id);
            if (!first) {
                break;
            }
            keys.push_back((*first)());
        }
        REQUIRE(it->status().ok());
    });
    return keys;
}

std::string slot_of(const sdk::record_batch& b)
{
    REQUIRE(b.encoded.has_value());
    return b.encoded->bytes.to_string().substr(0, 8);
}

std::string be64(std::uint8_t last)
{
    return std::string(7, '\0') + static_cast<char>(last);
}

} // namespace

TEST_CASE("the first gap raises the storage format marker to 4", "[rocksdb][format][gap]")
{
    engine_harness h;
    auto log = h.open_log("s/v/gap-format");
    REQUIRE(log->append(batch_of(2)).ok());
    REQUIRE(log->append_at(batch_at(2, 1)).ok()); // at the end: no gap
    log.reset();
    h.close();
    CHECK(marker_of(h.dir()) == "2"); // still readable by a build that knows format 2 only

    h.restart();
    log = h.open_log("s/v/gap-format");
    REQUIRE(log->append_at(batch_at(10, 2)).ok());   // 3..9 hold no record
    REQUIRE(log->append(encoded_of(1, 20, 0)).ok()); // does not lower the marker to 3
    log.reset();
    h.close();
    CHECK(marker_of(h.dir()) == "4");

    h.restart();
    log = h.open_log("s/v/gap-format");
    CHECK(log->offsets().next == offset{ 13 });
    auto r = h.read(*log, offset{ 3 }, whole);
    REQUIRE(r.ok());
    CHECK(r->base_offset == offset{ 10 });
    CHECK(bodies(*r) == std::vector<std::string>{ "m10", "m11" });
}

TEST_CASE("a gap is not a batch missing from the middle", "[rocksdb][gap]")
{
    engine_harness h;
    auto log = h.open_log("s/v/gap-missing");
    REQUIRE(log->append(batch_of(3, "m", 0)).ok());  // 0..2
    REQUIRE(log->append(batch_of(3, "m", 3)).ok());  // 3..5
    REQUIRE(log->append_at(batch_at(10, 2)).ok());   // 10..11
    REQUIRE(log->append(batch_of(1, "m", 12)).ok()); // 12

    auto r = h.read(*log, offset{ 0 }, whole);
    REQUIRE(r.ok());
    CHECK(r->base_offset == offset{ 0 });
    CHECK(r->records.size() == 6); // two stored batches joined, up to the gap
    r = h.read(*log, offset{ 10 }, whole);
    REQUIRE(r.ok());
    CHECK(bodies(*r) == std::vector<std::string>{ "m10", "m11", "m12" });

    SECTION("a stored batch lost before a gap is corruption")
    {
        log.reset();
        h.close();
        change_database(h.dir(), [](rocksdb::DB& db, auto& families) {
            const auto key = storage::rocks::fixed_key::batch(storage::rocks::log_id(1), offset{ 3 });
            REQUIRE(db.Delete(rocksdb::WriteOptions(), families[1], key.slice()).ok());
        });
        h.restart();
        log = h.open_log("s/v/gap-missing");
        auto damaged = h.read(*log, offset{ 0 }, whole);
        REQUIRE_FALSE(damaged.ok());
        CHECK(damaged.error().code() == sdk::errc::corruption);
    }
}

TEST_CASE("a start in a gap survives restarts and truncations", "[rocksdb][gap][recovery]")
{
    engine_harness h;
    auto log = h.open_log(spec_of("s/v/gap-start", 40));
    REQUIRE(log->append_at(batch_at(42, 2)).ok()); // 42..43
    REQUIRE(log->append_at(batch_at(50, 1)).ok()); // 50
    const auto bytes = log->size_bytes();
    const auto last = make_message("m50")->size_bytes();
    log.reset();
    h.restart();

    log = h.open_log("s/v/gap-start");
    CHECK(log->offsets().start == offset{ 40 });
    CHECK(log->offsets().next == offset{ 51 });
    CHECK(log->size_bytes() == bytes);
    auto r = h.read(*log, offset{ 40 }, whole);
    REQUIRE(r.ok());
    CHECK(r->base_offset == offset{ 42 });
    CHECK(bodies(*r) == std::vector<std::string>{ "m42", "m43" });

    REQUIRE(log->truncate_prefix(offset{ 45 }).ok()); // into the gap after 43
    CHECK(log->offsets().start == offset{ 45 });
    CHECK(log->size_bytes() == last);
    log.reset();
    h.close();
    CHECK(batch_keys_of_first_log(h.dir()) == std::vector<std::int64_t>{ 50 }); // 42 was deleted
    h.restart();

    log = h.open_log("s/v/gap-start");
    CHECK(log->offsets().start == offset{ 45 });
    CHECK(log->offsets().next == offset{ 51 });
    CHECK(log->size_bytes() == last);
    r = h.read(*log, offset{ 45 }, whole);
    REQUIRE(r.ok());
    CHECK(r->base_offset == offset{ 50 });
    auto below = h.read(*log, offset{ 44 }, whole);
    REQUIRE_FALSE(below.ok());
    CHECK(below.error().code() == sdk::errc::not_found);
    auto ts = h.offset_for_timestamp(*log, 0);
    REQUIRE(ts.ok());
    CHECK(*ts == offset{ 50 });
    REQUIRE(log->append(batch_of(1, "m", 51)).ok());
    CHECK(log->offsets().next == offset{ 52 });
}

TEST_CASE("first_offset and empty appends at an offset", "[rocksdb][gap]")
{
    engine_harness h;
    SECTION("a negative first offset is refused")
    {
        auto spec = spec_of("s/v/negative", -1);
        spec.owner = &h.shard();
        auto log = h.engine().open_log(spec);
        REQUIRE_FALSE(log.ok());
        CHECK(log.error().code() == sdk::errc::invalid_argument);
    }
    SECTION("an empty log created at a first offset keeps it across a restart")
    {
        auto log = h.open_log(spec_of("s/v/empty-first", 7));
        log.reset();
        h.restart();
        log = h.open_log("s/v/empty-first");
        CHECK(log->offsets().start == offset{ 7 });
        CHECK(log->offsets().next == offset{ 7 });
        CHECK(log->size_bytes() == 0);
    }
    SECTION("an empty batch at an offset stores nothing and leaves next")
    {
        auto log = h.open_log("s/v/empty-at");
        REQUIRE(log->append(batch_of(3)).ok());
        sdk::record_batch empty;
        empty.base_offset = offset{ 10 };
        auto r = log->append_at(std::move(empty));
        REQUIRE(r.ok());
        CHECK(r->count() == 0);
        CHECK(log->offsets().next == offset{ 3 });
        empty = sdk::record_batch{};
        empty.base_offset = offset{ 2 };
        auto below = log->append_at(std::move(empty));
        REQUIRE_FALSE(below.ok()); // below the end, even with nothing in it
        CHECK(below.error().code() == sdk::errc::invalid_argument);
    }
    SECTION("offsets past the largest are refused")
    {
        auto log = h.open_log("s/v/huge");
        auto r = log->append_at(batch_at(std::numeric_limits<std::int64_t>::max() - 1, 2));
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code() == sdk::errc::invalid_argument);
        CHECK(log->offsets().next == offset{ 0 });
    }
}

TEST_CASE("encoded batches at an offset get their slots set there and do not join across a gap",
          "[rocksdb][gap][encoded]")
{
    engine_harness h;
    auto log = h.open_log(spec_of("s/v/gap-encoded", 5));
    auto at = [](sdk::record_batch b, std::int64_t base) {
        b.base_offset = offset{ base };
        return b;
    };
    REQUIRE(log->append_at(at(encoded_of(2, 100, 10), 5)).ok()); // 5..6: no gap
    auto r0 = log->append_at(at(encoded_of(2, 100, 20), 7));     // 7..8
    REQUIRE(r0.ok());
    CHECK(*r0 == sdk::offset_range{ offset{ 7 }, offset{ 8 } });
    REQUIRE(log->append_at(at(encoded_of(3, 100, 30), 20)).ok()); // 20..22

    auto check = [&]() {
        auto r = h.read(*log, offset{ 6 }, whole);
        REQUIRE(r.ok());
        CHECK(r->base_offset == offset{ 5 });
        CHECK(r->encoded->count == 4); // two stored batches, joined up to the gap
        CHECK(slot_of(*r) == be64(5));
        r = h.read(*log, offset{ 9 }, whole);
        REQUIRE(r.ok());
        CHECK(r->base_offset == offset{ 20 });
        CHECK(r->encoded->count == 3);
        CHECK(slot_of(*r) == be64(20));
        auto ts = h.offset_for_timestamp(*log, 21);
        REQUIRE(ts.ok());
        CHECK(*ts == offset{ 20 });
    };
    check();
    log.reset();
    h.restart();
    log = h.open_log("s/v/gap-encoded");
    CHECK(log->offsets().next == offset{ 23 });
    check();
}

TEST_CASE("the time index works across gaps, through truncation and restart", "[rocksdb][gap][time-index]")
{
    engine_harness h(R"({"time_index_interval_bytes": 1})"); // an entry after every batch
    auto log = h.open_log("s/v/gap-time");
    // Batch i: 2 records at 10i, stamped 100i; offsets 10i+2..10i+9 are gaps.
    for (int i = 0; i < 10; ++i) {
        REQUIRE(log->append_at(batch_at(10 * i, 2, "m", 100 * i)).ok());
    }
    auto check = [&](std::int64_t ts, std::int64_t want) { h.check_offset_for_timestamp(*log, ts, want); };
    check(0, 0);
    check(1, 10);
    check(450, 50);
    check(900, 90);
    check(901, 92);
    REQUIRE(log->truncate_prefix(offset{ 35 }).ok()); // into the gap after 31
    check(0, 40);
    check(401, 50);
    log.reset();
    h.restart();
    log = h.open_log("s/v/gap-time");
    CHECK(log->offsets().start == offset{ 35 });
    check(0, 40);
    check(801, 90);
    REQUIRE(log->append_at(batch_at(200, 1, "m", 5000)).ok());
    check(901, 200);
    check(5001, 201);
}

namespace {

/// The records a log should hold, by offset, whatever gaps lie between them.
struct sparse_model
{
    std::map<std::int64_t, std::pair<std::string, std::int64_t>> live; ///< offset → body, timestamp
    std::int64_t start = 0;
    std::int64_t next = 0;
    std::int64_t offset_for_timestamp(std::int64_t ts) const
    {
        for (const auto& [o, record] : live) {
            if (record.second >= ts) {
                return o;
            }
        }
        return next;
    }
};

void run_sparse_model(std::uint64_t seed)
{
    INFO("seed " << seed);
    std::mt19937_64 rng(seed);
    auto uniform = [&](std::int64_t lo, std::int64_t hi) {
        return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
    };
    engine_harness h(R"({"time_index_interval_bytes": 300})");
    sparse_model m;
    m.start = m.next = uniform(0, 5);
    auto log = h.open_log(spec_of("s/v/sparse", m.start));
    std::int64_t clock = 0;
    for (int step = 0; step < 400; ++step) {
        const auto op = uniform(0, 19);
        if (op < 9) {
            const auto n = static_cast<int>(uniform(0, 6));
            const bool at = uniform(0, 1) == 1;
            std::int64_t base = m.next;
            if (at && uniform(0, 2) > 0) {
                base += uniform(1, 20);
            }
            sdk::record_batch b;
            std::vector<std::pair<std::string, std::int64_t>> added;
            for (int i = 0; i < n; ++i) {
                clock += uniform(0, 3);
                added.emplace_back("r" + std::to_string(base + i), clock);
                b.records.push_back(make_message(added.back().first, clock));
            }
            b.base_offset = offset{ base };
            auto r = at ? log->append_at(std::move(b)) : log->append(std::move(b));
            REQUIRE(r.ok());
            CHECK(r->first == offset{ base });
            for (int i = 0; i < n; ++i) {
                m.live[base + i] = added[static_cast<std::size_t>(i)];
            }
            if (n > 0) {
                m.next = base + n;
            }
        } else if (op < 11) {
            const auto to = uniform(m.start, m.next);
            REQUIRE(log->truncate_prefix(offset{ to }).ok());
            if (to > m.start) {
                m.start = to;
                m.live.erase(m.live.begin(), m.live.lower_bound(to));
            }
        } else if (op < 17) {
            const auto from = uniform(m.start, m.next);
            auto r = h.read(*log, offset{ from }, static_cast<std::size_t>(uniform(1, 400)));
            REQUIRE(r.ok());
            auto it = m.live.lower_bound(from);
            if (it == m.live.end()) {
                CHECK(r->empty());
                continue;
            }
            REQUIRE_FALSE(r->empty());
            CHECK(r->base_offset == offset{ it->first });
            const auto got = bodies(*r);
            for (std::size_t i = 0; i < got.size(); ++i, ++it) {
                REQUIRE(it != m.live.end());
                CHECK(it->first == r->base_offset() + static_cast<std::int64_t>(i)); // dense
                CHECK(got[i] == it->second.first);
            }
        } else if (op < 19) {
            const auto ts = uniform(-1, clock + 1);
            auto r = h.offset_for_timestamp(*log, ts);
            REQUIRE(r.ok());
            CHECK(*r == offset{ m.offset_for_timestamp(ts) });
        } else {
            log.reset();
            h.restart();
            log = h.open_log("s/v/sparse");
        }
        REQUIRE(log->offsets().start == offset{ m.start });
        REQUIRE(log->offsets().next == offset{ m.next });
    }
}

} // namespace

TEST_CASE("a log with gaps matches a model through truncations and restarts", "[rocksdb][gap][model]")
{
    for (std::uint64_t seed : { 1, 2, 3 }) {
        run_sparse_model(seed);
    }
}
