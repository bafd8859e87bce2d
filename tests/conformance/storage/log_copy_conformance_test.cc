// The storage conformance suite, part three: what a compaction needs to copy a log (ADR 0020).
// A log can be created at a first offset; append_at() stores a batch at a given offset above
// the end, leaving a gap that reads, timestamp lookups and prefix truncation skip; a log's own
// segment size (log_spec::segment_bytes) bounds what retention leaves behind. Durable engines
// keep all of it across a restart.
#include "conformance/storage/engine_fixture.h"

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

using namespace plexus;
using plexus::test::storage::batch_of;
using plexus::test::storage::bodies;
using plexus::test::storage::engine_fixture;
using sdk::offset;

namespace {

constexpr std::size_t whole = 1u << 20;

sdk::log_spec spec_of(std::string name, std::int64_t first_offset = 0, std::uint64_t segment_bytes = 0)
{
    sdk::log_spec spec;
    spec.name = std::move(name);
    spec.first_offset = offset{ first_offset };
    spec.segment_bytes = segment_bytes;
    return spec;
}

/// `n` messages stamped `ts` at `base`, for append_at.
sdk::record_batch batch_at(std::int64_t base, int n, const std::string& prefix, std::int64_t ts = 0)
{
    auto b = batch_of(n, prefix, static_cast<int>(base), ts);
    b.base_offset = offset{ base };
    return b;
}

/// Every (offset, body) from `from` to the end, batch by batch, whatever gaps lie between.
std::vector<std::pair<std::int64_t, std::string>> records_from(engine_fixture& f, sdk::log& log, std::int64_t from)
{
    std::vector<std::pair<std::int64_t, std::string>> out;
    offset at{ from };
    for (int reads = 0; reads < 1000; ++reads) {
        auto r = f.read(log, at, 64);
        REQUIRE(r.ok());
        if (r->empty()) {
            return out;
        }
        REQUIRE(r->last_offset() >= at);
        const auto names = bodies(*r);
        for (std::size_t i = 0; i < names.size(); ++i) {
            const auto o = r->base_offset() + static_cast<std::int64_t>(i);
            if (o >= at()) {
                out.emplace_back(o, names[i]);
            }
        }
        at = r->last_offset() + 1;
    }
    FAIL("reads do not reach the end");
    return out;
}

using record_list = std::vector<std::pair<std::int64_t, std::string>>;

} // namespace

TEST_CASE_METHOD(engine_fixture, "a log created at a first offset begins there", "[conformance][storage][copy]")
{
    {
        auto log = open_log(spec_of("s/v/first/0", 100));
        CHECK(log->offsets().start == offset{ 100 });
        CHECK(log->offsets().next == offset{ 100 });
        auto a = log->append(batch_of(2));
        REQUIRE(a.ok());
        CHECK(*a == sdk::offset_range{ offset{ 100 }, offset{ 101 } });
        REQUIRE(flush(*log).ok());
        auto below = read(*log, offset{ 5 }, whole);
        REQUIRE_FALSE(below.ok());
        CHECK(below.error().code() == sdk::errc::not_found);
    }
    SECTION("and an existing log ignores the first offset it is opened with")
    {
        auto log = open_log(spec_of("s/v/first/0", 7));
        CHECK(log->offsets().next == offset{ 102 });
    }
    SECTION("across a restart, on a durable engine")
    {
        if (!engine().caps().durable) {
            SUCCEED("not durable");
            return;
        }
        restart_engine();
        auto log = open_log("s/v/first/0");
        CHECK(log->offsets().start == offset{ 100 });
        CHECK(log->offsets().next == offset{ 102 });
        CHECK(records_from(*this, *log, 100) == record_list{ { 100, "m0" }, { 101, "m1" } });
    }
}

TEST_CASE_METHOD(engine_fixture, "append_at leaves a gap that reads skip", "[conformance][storage][copy]")
{
    auto log = open_log("s/v/gap/0");
    REQUIRE(log->append(batch_of(3, "a")).ok());          // 0..2
    auto at = log->append_at(batch_at(10, 2, "b", 5000)); // 10..11
    REQUIRE(at.ok());
    CHECK(*at == sdk::offset_range{ offset{ 10 }, offset{ 11 } });
    REQUIRE(log->append_at(batch_at(12, 1, "c", 6000)).ok()); // right at the end: no gap
    auto next = log->append(batch_of(1, "d", 13, 7000));      // 13, after the copied ones
    REQUIRE(next.ok());
    CHECK(next->first == offset{ 13 });
    CHECK(log->offsets().next == offset{ 14 });
    const record_list expected{ { 0, "a0" },   { 1, "a1" },   { 2, "a2" },  { 10, "b10" },
                                { 11, "b11" }, { 12, "c12" }, { 13, "d13" } };

    SECTION("reads go from each record to the next stored one")
    {
        CHECK(records_from(*this, *log, 0) == expected);
        auto in_gap = read(*log, offset{ 4 }, whole);
        REQUIRE(in_gap.ok());
        CHECK(in_gap->base_offset == offset{ 10 });
        CHECK(bodies(*in_gap).front() == "b10");
        // No batch spans the gap: each is dense.
        auto before = read(*log, offset{ 0 }, whole);
        REQUIRE(before.ok());
        CHECK(before->last_offset() == offset{ 2 });
    }
    SECTION("below the end it is refused and nothing is stored")
    {
        auto refused = log->append_at(batch_at(13, 1, "x"));
        REQUIRE_FALSE(refused.ok());
        CHECK(refused.error().code() == sdk::errc::invalid_argument);
        CHECK(log->offsets().next == offset{ 14 });
        CHECK(records_from(*this, *log, 0) == expected);
    }
    SECTION("a timestamp in the gap finds the record after it")
    {
        auto o = offset_for_timestamp(*log, 4000);
        REQUIRE(o.ok());
        CHECK(*o == offset{ 10 });
    }
    SECTION("a prefix cut into the gap leaves the records after it")
    {
        REQUIRE(log->truncate_prefix(offset{ 5 }).ok());
        CHECK(log->offsets().start >= offset{ 3 });
        CHECK(log->offsets().start <= offset{ 10 });
        CHECK(records_from(*this, *log, log->offsets().start()) ==
              record_list{ { 10, "b10" }, { 11, "b11" }, { 12, "c12" }, { 13, "d13" } });
    }
    SECTION("the gap and every record survive a restart, on a durable engine")
    {
        if (!engine().caps().durable) {
            SUCCEED("not durable");
            return;
        }
        REQUIRE(flush(*log).ok());
        log.reset();
        restart_engine();
        log = open_log("s/v/gap/0");
        CHECK(log->offsets().next == offset{ 14 });
        CHECK(records_from(*this, *log, 0) == expected);
        REQUIRE(log->append(batch_of(1, "e", 14)).ok());
        CHECK(log->offsets().next == offset{ 15 });
    }
}

TEST_CASE_METHOD(engine_fixture, "a copy into a log created at the first offset", "[conformance][storage][copy]")
{
    // What a compaction does: a new log at the old one's start, survivors at their offsets.
    auto copy = open_log(spec_of("s/v/copy/0~1", 40));
    REQUIRE(copy->append_at(batch_at(42, 2, "k")).ok());
    REQUIRE(copy->append_at(batch_at(50, 1, "k")).ok());
    CHECK(copy->offsets().next == offset{ 51 });
    CHECK(copy->offsets().start <= offset{ 42 });
    CHECK(records_from(*this, *copy, 40) == record_list{ { 42, "k42" }, { 43, "k43" }, { 50, "k50" } });
    REQUIRE(flush(*copy).ok());
    CHECK(copy->offsets().committed == offset{ 51 });
}

TEST_CASE_METHOD(engine_fixture,
                 "a log's own segment size bounds what a prefix cut leaves",
                 "[conformance][storage][copy]")
{
    auto log = open_log(spec_of("s/v/small-segments/0", 0, 4096));
    const std::string body(1000, 'x');
    for (int i = 0; i < 64; ++i) {
        auto b = batch_of(1, body, i);
        REQUIRE(log->append(std::move(b)).ok());
    }
    const auto full = log->size_bytes();
    REQUIRE(full >= 64u * 1000);
    REQUIRE(log->truncate_prefix(offset{ 48 }).ok());
    // An engine may keep the segment the cut lands in, but no more than about one of 4 KiB.
    CHECK(log->size_bytes() <= 16u * 1100 + 8192);
    CHECK(log->offsets().start <= offset{ 48 });
    auto r = read(*log, offset{ 48 }, whole);
    REQUIRE(r.ok());
    CHECK(r->base_offset <= offset{ 48 });
}
