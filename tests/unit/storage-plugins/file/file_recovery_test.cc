// Recovery: what the file engine finds and does on start after a crash or damage on disk.
// A crash is simulated by copying the data directory while a log is open (the copy holds
// what the page cache held, as after kill -9: no saved index for the active segment).
#include "file_harness.h"
#include "file_log.h"

#include <catch2/catch.hpp>

#include <fstream>

using namespace plexus;
using namespace plexus::test::file;
using sdk::offset;

namespace {

void flip_byte(const std::filesystem::path& file, std::uint64_t position)
{
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(static_cast<std::streamoff>(position));
    char c = 0;
    f.read(&c, 1);
    c = static_cast<char>(c ^ 0x5A);
    f.seekp(static_cast<std::streamoff>(position));
    f.write(&c, 1);
}

/// Where `text` first occurs in `file` (the test fails when it does not).
std::uint64_t position_of(const std::filesystem::path& file, const std::string& text)
{
    std::ifstream in(file, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto at = bytes.find(text);
    REQUIRE(at != std::string::npos);
    return at;
}

} // namespace

TEST_CASE("recovery after a crash: records, start and next come back", "[unit][storage][file]")
{
    file_harness h;
    auto log = h.open("q/v/crash");
    for (int i = 0; i < 20; ++i) {
        REQUIRE(log->append(batch_of(5, "m", i * 5)).ok());
    }
    REQUIRE(log->truncate_prefix(offset{ 37 }).ok());
    int next = 100;
    SECTION("the start marker is written alone after its delay")
    {
        h.shard.run_all();
        h.shard.advance(storage::file::start_marker_delay);
    }
    SECTION("the start marker goes with the next append, in the same write")
    {
        REQUIRE(log->append(batch_of(1, "m", 100)).ok());
        next = 101;
    }

    file_harness crashed;
    crashed.stop();
    copy_tree(h.dir, crashed.dir);
    REQUIRE(crashed.start("{}").ok());
    auto back = crashed.open("q/v/crash");
    CHECK(back->offsets().start == offset{ 37 });
    CHECK(back->offsets().next == offset{ next });
    CHECK(back->offsets().committed == offset{ next });
    auto all = crashed.read_bodies(*back, offset{ 37 });
    REQUIRE(all.ok());
    CHECK(*all == bodies_of(37, next - 37));
    CHECK(crashed.logged("index rebuilt"));
    CHECK_FALSE(crashed.logged("torn tail"));
    // Appends continue at next.
    auto a = back->append(batch_of(1, "m", next));
    REQUIRE(a.ok());
    CHECK(a->first == offset{ next });
}

TEST_CASE("a start marker not yet written leaves the trimmed records to come back after a crash",
          "[unit][storage][file]")
{
    // The price of not writing a marker per trim: within start_marker_delay of a trim, a
    // crash brings the acked records back (redelivered), never loses any that were not.
    file_harness h;
    auto log = h.open("q/v/window");
    REQUIRE(log->append(batch_of(10)).ok());
    REQUIRE(log->truncate_prefix(offset{ 4 }).ok());
    h.shard.run_all();
    h.shard.advance(storage::file::start_marker_delay - std::chrono::milliseconds(1));

    file_harness crashed;
    crashed.stop();
    copy_tree(h.dir, crashed.dir);
    REQUIRE(crashed.start("{}").ok());
    auto back = crashed.open("q/v/window");
    CHECK(back->offsets().start == offset{ 0 });
    CHECK(back->offsets().next == offset{ 10 });
}

TEST_CASE("no start marker is written alone while appends keep taking them along", "[unit][storage][file]")
{
    using storage::file::start_marker_delay;
    file_harness h;
    auto log = h.open("q/v/carried");
    REQUIRE(log->append(batch_of(10)).ok());
    REQUIRE(log->truncate_prefix(offset{ 2 }).ok());
    REQUIRE(log->append(batch_of(1, "m", 10)).ok()); // takes the marker along
    REQUIRE(log->truncate_prefix(offset{ 4 }).ok());
    const auto segment = h.segments("q/v/carried").back();
    const auto size = std::filesystem::file_size(segment);
    h.shard.advance(start_marker_delay);
    CHECK(std::filesystem::file_size(segment) == size); // waits for the next append
    h.shard.advance(start_marker_delay);
    CHECK(std::filesystem::file_size(segment) == size + storage::file::frame_header_size); // none came
}

TEST_CASE("recovery cuts a torn tail and keeps every whole batch", "[unit][storage][file]")
{
    file_harness h;
    {
        auto log = h.open("q/v/torn");
        REQUIRE(log->append(batch_of(10)).ok());
        REQUIRE(log->append(batch_of(10, "m", 10)).ok());
    }
    h.stop();
    const auto seg = h.segments("q/v/torn").back();
    const auto whole = std::filesystem::file_size(seg);

    SECTION("half a frame header")
    {
        append_bytes(seg, std::string(20, '\x01'));
    }
    SECTION("a whole header whose payload never arrived")
    {
        // Copy the first frame's header: plausible, but its bytes run past the end.
        std::ifstream in(seg, std::ios::binary);
        std::string header(32, '\0');
        in.read(header.data(), 32);
        append_bytes(seg, header + "partial");
    }
    REQUIRE(h.start("{}").ok());
    auto log = h.open("q/v/torn");
    CHECK(log->offsets().next == offset{ 20 });
    CHECK(std::filesystem::file_size(seg) == whole);
    CHECK(h.logged("cut a torn tail of"));
    auto all = h.read_bodies(*log, offset{ 0 });
    REQUIRE(all.ok());
    CHECK(*all == bodies_of(0, 20));
}

TEST_CASE("damage in the middle of a segment is never served", "[unit][storage][file]")
{
    file_harness h;
    {
        auto log = h.open("q/v/flip");
        for (int i = 0; i < 10; ++i) {
            REQUIRE(log->append(batch_of(10, "m", i * 10)).ok());
        }
    }
    h.stop();
    const auto seg = h.segments("q/v/flip").front();
    flip_byte(seg, position_of(seg, "m55")); // a body inside the sixth frame: its CRC fails

    SECTION("with a trusted index, the read of the damaged batch fails with corruption")
    {
        REQUIRE(h.start("{}").ok());
        auto log = h.open("q/v/flip");
        auto first = h.read(*log, offset{ 0 }, 1);
        REQUIRE(first.ok());
        CHECK(first->records[0]->body.to_string() == "m0");
        auto all = h.read_bodies(*log, offset{ 0 });
        REQUIRE_FALSE(all.ok());
        CHECK(all.error().code() == sdk::errc::corruption);
        CHECK(std::string(all.error().message()).find("fails its CRC") != std::string::npos);
        CHECK(h.logged("fails its CRC"));
    }
    SECTION("verify_on_start: all reports the damage, keeps every intact batch and the original")
    {
        REQUIRE(h.start(R"({"verify_on_start": "all"})").ok());
        auto log = h.open("q/v/flip");
        CHECK(h.logged("damaged bytes at byte"));
        CHECK(h.logged("kept the damaged original"));
        CHECK(std::filesystem::exists(seg.string() + ".damaged"));
        auto all = h.read_bodies(*log, offset{ 0 });
        REQUIRE(all.ok());
        // Exactly one batch of ten is gone; all others are intact and in order.
        REQUIRE(all->size() == 90);
        std::vector<std::string> expected;
        int lost_from = -1;
        for (int i = 0, j = 0; i < 100; ++i) {
            if (j < 90 && (*all)[static_cast<std::size_t>(j)] == "m" + std::to_string(i)) {
                ++j;
            } else if (lost_from < 0) {
                lost_from = i;
            }
        }
        CHECK(lost_from == 50);
        CHECK(log->offsets().next == offset{ 100 });
        // The repaired segment is clean now: a default start trusts it without complaint.
        log.reset();
        REQUIRE(h.start("{}").ok());
        auto again = h.open("q/v/flip");
        auto twice = h.read_bodies(*again, offset{ 0 });
        REQUIRE(twice.ok());
        CHECK(twice->size() == 90);
    }
}

TEST_CASE("a missing or damaged index is rebuilt from the segment", "[unit][storage][file]")
{
    file_harness h(R"({"segment_bytes": 4096})");
    {
        auto log = h.open("q/v/index");
        for (int i = 0; i < 50; ++i) {
            REQUIRE(log->append(batch_of(10, "m", i * 10)).ok());
        }
        REQUIRE(log->truncate_prefix(offset{ 15 }).ok());
    }
    h.stop();
    const auto segs = h.segments("q/v/index");
    REQUIRE(segs.size() >= 3);
    auto index_of = [](std::filesystem::path p) { return p.replace_extension(".index"); };
    std::filesystem::remove(index_of(segs[1]));
    flip_byte(index_of(segs[2]), 60);
    REQUIRE(h.start(R"({"segment_bytes": 4096})").ok());
    auto log = h.open("q/v/index");
    CHECK(h.logged("index rebuilt"));
    CHECK(std::filesystem::exists(index_of(segs[1])));
    CHECK(log->offsets().start == offset{ 15 });
    CHECK(log->offsets().next == offset{ 500 });
    auto all = h.read_bodies(*log, offset{ 15 });
    REQUIRE(all.ok());
    CHECK(*all == bodies_of(15, 485));
}

TEST_CASE("a truncated sealed segment loses only its cut records", "[unit][storage][file]")
{
    file_harness h(R"({"segment_bytes": 4096})");
    {
        auto log = h.open("q/v/cut");
        for (int i = 0; i < 50; ++i) {
            REQUIRE(log->append(batch_of(10, "m", i * 10)).ok());
        }
    }
    h.stop();
    const auto segs = h.segments("q/v/cut");
    REQUIRE(segs.size() >= 3);
    std::filesystem::resize_file(segs[1], std::filesystem::file_size(segs[1]) - 10);
    REQUIRE(h.start(R"({"segment_bytes": 4096})").ok());
    auto log = h.open("q/v/cut");
    CHECK(h.logged("cut a torn tail"));
    auto all = h.read_bodies(*log, offset{ 0 });
    REQUIRE(all.ok());
    // The last batch of the second segment is gone; everything before and after is there.
    CHECK(all->size() == 490);
    CHECK(all->front() == "m0");
    CHECK(all->back() == "m499");
}

TEST_CASE("a damaged encoded batch is never served, and recovery keeps the batches around it", "[unit][storage][file]")
{
    auto encoded = [](const std::string& payload) {
        sdk::record_batch b;
        b.encoded = sdk::encoded_records{};
        b.encoded->format = "test.v1";
        b.encoded->bytes = sdk::buffer_chain::copy_of(std::string(8, '\0') + payload);
        b.encoded->count = 2;
        b.encoded->offset_slots.push_back({ 0, 0 });
        return b;
    };
    file_harness h;
    {
        auto log = h.open("s/v/encoded-flip/0");
        for (int i = 0; i < 3; ++i) {
            REQUIRE(log->append(encoded("payload-number-" + std::to_string(i))).ok());
        }
    }
    h.stop();
    const auto seg = h.segments("s/v/encoded-flip/0").front();
    flip_byte(seg, position_of(seg, "payload-number-1"));

    SECTION("a read that meets it fails with corruption")
    {
        REQUIRE(h.start("{}").ok());
        auto log = h.open("s/v/encoded-flip/0");
        auto first = h.read(*log, offset{ 0 }, 1);
        REQUIRE(first.ok());
        REQUIRE(first->encoded.has_value());
        CHECK(first->encoded->bytes.to_string().find("payload-number-0") != std::string::npos);
        auto damaged = h.read(*log, offset{ 2 }, 1 << 20);
        REQUIRE_FALSE(damaged.ok());
        CHECK(damaged.error().code() == sdk::errc::corruption);
    }
    SECTION("verify_on_start: all drops it and keeps the others whole")
    {
        REQUIRE(h.start(R"({"verify_on_start": "all"})").ok());
        auto log = h.open("s/v/encoded-flip/0");
        CHECK(h.logged("damaged bytes at byte"));
        auto first = h.read(*log, offset{ 0 }, 1);
        REQUIRE(first.ok());
        REQUIRE(first->encoded.has_value());
        CHECK(first->encoded->count == 2);
        auto last = h.read(*log, offset{ 4 }, 1);
        REQUIRE(last.ok());
        REQUIRE(last->encoded.has_value());
        CHECK(last->base_offset == offset{ 4 });
        CHECK(last->encoded->bytes.to_string().find("payload-number-2") != std::string::npos);
        CHECK(log->offsets().next == offset{ 6 });
    }
}
