// What a compaction's copy of a log (ADR 0020) needs from the file engine, beyond the
// conformance suite: a gap left by append_at() and a log's first offset are kept by the frames'
// base offsets and the segments' names alone, so a clean restart (saved index), a crash (no
// index: the segment is scanned) and a torn tail all bring them back as they were.
#include "batch_frame.h"
#include "file_harness.h"

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

using namespace plexus;
using namespace plexus::test::file;
using sdk::offset;

namespace {

using record_list = std::vector<std::pair<std::int64_t, std::string>>;

sdk::log_spec spec_of(std::string name, std::int64_t first_offset, std::uint64_t segment_bytes = 0)
{
    sdk::log_spec spec;
    spec.name = std::move(name);
    spec.first_offset = offset{ first_offset };
    spec.segment_bytes = segment_bytes;
    return spec;
}

/// Every (offset, body) from `from` on, read batch by batch across the gaps.
record_list records_from(file_harness& h, sdk::log& log, std::int64_t from)
{
    record_list out;
    offset at{ from };
    for (int reads = 0; reads < 1000; ++reads) {
        auto r = h.read(log, at);
        REQUIRE(r.ok());
        if (r->empty()) {
            return out;
        }
        std::int64_t o = r->base_offset();
        for (const auto& m : r->records) {
            out.emplace_back(o++, m->body.to_string());
        }
        at = r->last_offset() + 1;
    }
    FAIL("reads do not reach the end");
    return out;
}

/// The big-endian int64 an offset slot at byte 0 of an encoded batch holds.
std::int64_t slot_value(const sdk::encoded_records& e)
{
    const auto bytes = e.bytes.to_string();
    REQUIRE(bytes.size() >= 8);
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) {
        v = (v << 8) | static_cast<unsigned char>(bytes[static_cast<std::size_t>(i)]);
    }
    return static_cast<std::int64_t>(v);
}

} // namespace

TEST_CASE("file log: a segment holding gaps keeps its offsets across a restart and a crash", "[unit][storage][file]")
{
    file_harness h;
    file_harness crashed;
    crashed.stop();
    auto log = h.open("s/v/gaps/0");
    REQUIRE(log->append(batch_of(3)).ok());           // 0..2
    REQUIRE(log->append_at(batch_at(10, 2)).ok());    // 10..11
    REQUIRE(log->append_at(batch_at(100, 1)).ok());   // 100
    REQUIRE(log->append(batch_of(1, "m", 101)).ok()); // 101
    REQUIRE(h.segments("s/v/gaps/0").size() == 1);    // every gap is inside the one segment
    const record_list expected{ { 0, "m0" },   { 1, "m1" },     { 2, "m2" },    { 10, "m10" },
                                { 11, "m11" }, { 100, "m100" }, { 101, "m101" } };
    REQUIRE(records_from(h, *log, 0) == expected);

    file_harness* now = &h;
    SECTION("a clean restart trusts the saved index")
    {
        log.reset();
        REQUIRE(h.start("{}").ok());
        CHECK_FALSE(h.logged("index rebuilt"));
    }
    SECTION("after a crash, the scan takes every frame that begins above the one before it")
    {
        copy_tree(h.dir, crashed.dir);
        REQUIRE(crashed.start("{}").ok());
        now = &crashed;
    }
    auto back = now->open("s/v/gaps/0");
    if (now == &crashed) {
        CHECK(crashed.logged("4 intact frames"));
        CHECK_FALSE(crashed.logged("torn tail"));
        CHECK_FALSE(crashed.logged("damaged"));
    }
    CHECK(back->offsets().start == offset{ 0 });
    CHECK(back->offsets().next == offset{ 102 });
    CHECK(records_from(*now, *back, 0) == expected);
    auto in_gap = now->read(*back, offset{ 50 });
    REQUIRE(in_gap.ok());
    CHECK(in_gap->base_offset == offset{ 100 });
    auto refused = back->append_at(batch_at(101, 1));
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().code() == sdk::errc::invalid_argument);
    auto next = back->append(batch_of(1, "m", 102));
    REQUIRE(next.ok());
    CHECK(next->first == offset{ 102 });
}

TEST_CASE("file log: a gap across a roll at the log's own segment size survives a crash", "[unit][storage][file]")
{
    file_harness h; // the engine's own segment_bytes (64 MiB) would never roll here
    file_harness crashed;
    crashed.stop();
    const std::string name = "s/v/gap-roll/0";
    const std::string body(1000, 'x');
    auto log = h.open(spec_of(name, 0, 4096));
    for (int i = 0; i < 10; ++i) {
        REQUIRE(log->append(batch_of(1, body, i)).ok());
    }
    REQUIRE(log->append_at(batch_at(5000, 1, body)).ok());
    REQUIRE(log->append_at(batch_at(9000, 1, body)).ok());
    const auto segments = h.segments(name);
    REQUIRE(segments.size() >= 3);
    for (const auto& s : segments) {
        CHECK(std::filesystem::file_size(s) <= 4096u);
    }

    copy_tree(h.dir, crashed.dir);
    REQUIRE(crashed.start("{}").ok());
    auto back = crashed.open(spec_of(name, 0, 4096));
    CHECK(back->offsets().next == offset{ 9001 });
    record_list expected;
    for (int i = 0; i < 10; ++i) {
        expected.emplace_back(i, body + std::to_string(i));
    }
    expected.emplace_back(5000, body + "5000");
    expected.emplace_back(9000, body + "9000");
    CHECK(records_from(crashed, *back, 0) == expected);
    auto in_gap = crashed.read(*back, offset{ 5001 });
    REQUIRE(in_gap.ok());
    CHECK(in_gap->base_offset == offset{ 9000 });
    REQUIRE(back->truncate_prefix(offset{ 6000 }).ok());
    CHECK(crashed.segments(name).size() < segments.size()); // the segments wholly below the cut are gone
    CHECK(records_from(crashed, *back, 6000) == record_list{ { 9000, body + "9000" } });
}

TEST_CASE("file log: a log's own segment size is held to the range the config accepts", "[unit][storage][file]")
{
    file_harness h;
    auto log = h.open(spec_of("q/v/tiny-segments", 0, 100));
    for (int i = 0; i < 40; ++i) {
        REQUIRE(log->append(batch_of(1, "m", i)).ok()); // about 2 KiB in all
    }
    CHECK(h.segments("q/v/tiny-segments").size() == 1); // 4096, not a file per batch
}

TEST_CASE("file log: recovery cuts a torn tail after an append_at", "[unit][storage][file]")
{
    file_harness h;
    const std::string name = "s/v/torn-gap/0";
    {
        auto log = h.open(name);
        REQUIRE(log->append(batch_of(3)).ok());        // 0..2
        REQUIRE(log->append_at(batch_at(10, 2)).ok()); // 10..11
    }
    h.stop();
    const auto seg = h.segments(name).back();
    const auto whole = std::filesystem::file_size(seg);

    SECTION("a later append_at's frame cut short is dropped and the gap before it stays")
    {
        std::string frame;
        const std::size_t at = storage::file::begin_frame(frame);
        frame += std::string(64, 'p');
        storage::file::finish_frame(frame, at, storage::file::frame_kind::records, 50, 0, 1);
        append_bytes(seg, frame.substr(0, frame.size() - 10));
        REQUIRE(h.start("{}").ok());
        auto log = h.open(name);
        CHECK(h.logged("cut a torn tail of 86 bytes"));
        CHECK(std::filesystem::file_size(seg) == whole);
        CHECK(log->offsets().next == offset{ 12 });
        CHECK(records_from(h, *log, 0) ==
              record_list{ { 0, "m0" }, { 1, "m1" }, { 2, "m2" }, { 10, "m10" }, { 11, "m11" } });
        auto a = log->append(batch_of(1, "m", 12));
        REQUIRE(a.ok());
        CHECK(a->first == offset{ 12 });
    }
    SECTION("the append_at's own frame cut short: the gap goes with its records")
    {
        std::filesystem::resize_file(seg, whole - 5);
        REQUIRE(h.start("{}").ok());
        auto log = h.open(name);
        CHECK(h.logged("cut a torn tail"));
        CHECK(log->offsets().next == offset{ 3 });
        CHECK(records_from(h, *log, 0) == record_list{ { 0, "m0" }, { 1, "m1" }, { 2, "m2" } });
        // The copy can be redone where it was cut.
        auto again = log->append_at(batch_at(10, 2));
        REQUIRE(again.ok());
        CHECK(*again == sdk::offset_range{ offset{ 10 }, offset{ 11 } });
    }
}

TEST_CASE("file log: a log created at a first offset keeps it through a crash", "[unit][storage][file]")
{
    file_harness h;
    file_harness crashed;
    crashed.stop();
    auto empty = h.open(spec_of("s/v/first-empty/0", 100));
    auto some = h.open(spec_of("s/v/first-some/0", 200));
    REQUIRE(some->append_at(batch_at(250, 2)).ok());
    CHECK(h.segments("s/v/first-empty/0").front().filename() == "00000000000000000100.log");

    copy_tree(h.dir, crashed.dir);
    REQUIRE(crashed.start("{}").ok());
    auto empty_back = crashed.open(spec_of("s/v/first-empty/0", 7)); // an existing log: 7 is ignored
    CHECK(empty_back->offsets().start == offset{ 100 });
    CHECK(empty_back->offsets().next == offset{ 100 });
    auto some_back = crashed.open("s/v/first-some/0");
    CHECK(some_back->offsets().start == offset{ 200 });
    CHECK(some_back->offsets().next == offset{ 252 });
    CHECK(records_from(crashed, *some_back, 200) == record_list{ { 250, "m250" }, { 251, "m251" } });
    auto below = crashed.read(*some_back, offset{ 150 });
    REQUIRE_FALSE(below.ok());
    CHECK(below.error().code() == sdk::errc::not_found);
}

TEST_CASE("file log: an encoded batch appended at an offset has its offset slots set there", "[unit][storage][file]")
{
    file_harness h;
    file_harness crashed;
    crashed.stop();
    sdk::record_batch b;
    b.base_offset = offset{ 40 };
    b.encoded = sdk::encoded_records{};
    b.encoded->format = "test.v1";
    b.encoded->bytes = sdk::buffer_chain::copy_of(std::string(8, '\0') + "payload");
    b.encoded->count = 2;
    b.encoded->offset_slots.push_back({ 0, 0 });
    auto log = h.open("s/v/encoded-at/0");
    REQUIRE(log->append(batch_of(1)).ok());
    auto at = log->append_at(std::move(b));
    REQUIRE(at.ok());
    CHECK(*at == sdk::offset_range{ offset{ 40 }, offset{ 41 } });

    copy_tree(h.dir, crashed.dir);
    REQUIRE(crashed.start("{}").ok());
    auto back = crashed.open("s/v/encoded-at/0");
    CHECK(back->offsets().next == offset{ 42 });
    auto r = crashed.read(*back, offset{ 5 });
    REQUIRE(r.ok());
    CHECK(r->base_offset == offset{ 40 });
    REQUIRE(r->encoded.has_value());
    CHECK(r->encoded->count == 2);
    CHECK(slot_value(*r->encoded) == 40);
}
