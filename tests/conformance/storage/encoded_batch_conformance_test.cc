// The storage conformance suite, part two: encoded record batches (sdk::encoded_records,
// ADR 0019). Every engine stores them as given with their offset slots set, returns them
// whole and byte for byte, beside message batches in the same log, and keeps them across a
// restart when durable.
#include "conformance/storage/engine_fixture.h"

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>

using namespace plexus;
using plexus::test::storage::batch_of;
using plexus::test::storage::bodies;
using plexus::test::storage::engine_fixture;
using sdk::offset;

namespace {

constexpr std::size_t whole = 1u << 20;

/// The bytes encoded_batch() appends: 8 offset bytes not yet set, `payload`, padding to 20.
std::string appended_bytes(const std::string& payload)
{
    std::string bytes(8, '\xee');
    bytes += payload;
    if (bytes.size() < 20) {
        bytes.resize(20, '.');
    }
    return bytes;
}

/// `count` records of a made-up format: 8 offset bytes, then `payload`; a second slot at
/// byte 12 for record 2 when `count` > 2, as a protocol with two sub-batches would have.
sdk::record_batch encoded_batch(std::uint32_t count, const std::string& payload, std::int64_t max_ts = 1000)
{
    sdk::encoded_records e;
    e.format = "test.v1";
    const std::string bytes = appended_bytes(payload);
    e.bytes = sdk::buffer_chain::copy_of(bytes.substr(0, 10));
    e.bytes.append(sdk::bytes::copy_of(bytes.substr(10))); // two fragments
    e.count = count;
    e.max_timestamp = sdk::timestamp_ms(max_ts);
    e.offset_slots.push_back({ 0, 0 });
    if (count > 2) {
        e.offset_slots.push_back({ 12, 2 });
    }
    sdk::record_batch b;
    b.encoded = std::move(e);
    return b;
}

std::string big_endian(std::int64_t v)
{
    std::string out(8, '\0');
    for (int i = 7; i >= 0; --i) {
        out[static_cast<std::size_t>(i)] = static_cast<char>(v & 0xff);
        v >>= 8;
    }
    return out;
}

/// What encoded_batch(count, payload) reads back as once stored at `base`.
std::string stored_bytes(std::uint32_t count, const std::string& payload, std::int64_t base)
{
    std::string bytes = appended_bytes(payload);
    bytes.replace(0, 8, big_endian(base));
    if (count > 2) {
        bytes.replace(12, 8, big_endian(base + 2));
    }
    return bytes;
}

} // namespace

TEST_CASE_METHOD(engine_fixture,
                 "an encoded batch is stored as given, its offset slots set",
                 "[conformance][storage][encoded]")
{
    auto log = open_log("s/v/encoded/0");
    REQUIRE(log->append(batch_of(3)).ok());
    auto a = log->append(encoded_batch(5, "first-payload-bytes"));
    REQUIRE(a.ok());
    CHECK(*a == sdk::offset_range{ offset{ 3 }, offset{ 7 } });
    REQUIRE(log->append(batch_of(2, "m", 8)).ok());
    CHECK(log->offsets().next == offset{ 10 });

    SECTION("read from its first offset: the bytes, byte for byte")
    {
        auto r = read(*log, offset{ 3 }, whole);
        REQUIRE(r.ok());
        REQUIRE(r->encoded.has_value());
        CHECK(r->records.empty());
        CHECK(r->base_offset == offset{ 3 });
        CHECK(r->encoded->format == "test.v1");
        CHECK(r->encoded->count == 5);
        CHECK(r->size() == 5);
        CHECK(r->encoded->bytes.to_string() == stored_bytes(5, "first-payload-bytes", 3));
    }
    SECTION("read from inside it: the whole batch")
    {
        auto r = read(*log, offset{ 6 }, 1);
        REQUIRE(r.ok());
        REQUIRE(r->encoded.has_value());
        CHECK(r->base_offset == offset{ 3 });
        CHECK(r->encoded->bytes.to_string() == stored_bytes(5, "first-payload-bytes", 3));
    }
    SECTION("messages before and after it come back as messages")
    {
        auto before = read(*log, offset{ 0 }, whole);
        REQUIRE(before.ok());
        CHECK_FALSE(before->encoded.has_value());
        CHECK(bodies(*before) == std::vector<std::string>{ "m0", "m1", "m2" });
        auto after = read(*log, offset{ 8 }, whole);
        REQUIRE(after.ok());
        CHECK_FALSE(after->encoded.has_value());
        CHECK(bodies(*after) == std::vector<std::string>{ "m8", "m9" });
    }
    SECTION("size_bytes counts it")
    {
        CHECK(log->size_bytes() >= 20);
    }
}

TEST_CASE_METHOD(engine_fixture, "encoded batches in a row are read back in order", "[conformance][storage][encoded]")
{
    auto log = open_log("s/v/encoded-row/0");
    for (int i = 0; i < 4; ++i) {
        REQUIRE(log->append(encoded_batch(3, "payload-" + std::to_string(i))).ok());
    }
    // However many batches a read joins, the bytes are the stored batches one after another.
    std::string all;
    std::uint32_t records = 0;
    offset from{ 0 };
    while (from < offset{ 12 }) {
        auto r = read(*log, from, 40);
        REQUIRE(r.ok());
        REQUIRE(r->encoded.has_value());
        REQUIRE(r->base_offset == from);
        all += r->encoded->bytes.to_string();
        records += r->encoded->count;
        from = r->last_offset() + 1;
    }
    std::string want;
    for (int i = 0; i < 4; ++i) {
        want += stored_bytes(3, "payload-" + std::to_string(i), 3 * i);
    }
    CHECK(records == 12);
    CHECK(all == want);
}

TEST_CASE_METHOD(engine_fixture,
                 "truncate_prefix inside an encoded batch keeps start exact",
                 "[conformance][storage][encoded]")
{
    auto log = open_log("s/v/encoded-truncate/0");
    REQUIRE(log->append(batch_of(2)).ok());
    REQUIRE(log->append(encoded_batch(4, "truncated")).ok()); // offsets 2..5
    REQUIRE(log->append(batch_of(1, "m", 6)).ok());
    REQUIRE(log->truncate_prefix(offset{ 4 }).ok());
    CHECK(log->offsets().start == offset{ 4 });
    auto below = read(*log, offset{ 3 }, whole);
    REQUIRE_FALSE(below.ok());
    CHECK(below.error().code() == sdk::errc::not_found);
    auto r = read(*log, offset{ 4 }, whole);
    REQUIRE(r.ok());
    REQUIRE(r->encoded.has_value());
    CHECK(r->base_offset == offset{ 2 }); // whole: the reader skips below start itself
    CHECK(r->encoded->bytes.to_string() == stored_bytes(4, "truncated", 2));
    REQUIRE(log->truncate_prefix(offset{ 6 }).ok());
    auto rest = read(*log, offset{ 6 }, whole);
    REQUIRE(rest.ok());
    CHECK(bodies(*rest) == std::vector<std::string>{ "m6" });
}

TEST_CASE_METHOD(engine_fixture,
                 "offset_for_timestamp finds an encoded batch by its max timestamp",
                 "[conformance][storage][encoded]")
{
    auto log = open_log("s/v/encoded-time/0");
    REQUIRE(log->append(batch_of(2, "m", 0, 100)).ok());        // 0, 1 at 100
    REQUIRE(log->append(encoded_batch(3, "at-500", 500)).ok()); // 2..4, max 500
    REQUIRE(log->append(batch_of(1, "m", 5, 900)).ok());        // 5 at 900
    const std::vector<std::pair<std::int64_t, std::int64_t>> cases{ { 100, 0 }, { 101, 2 }, { 500, 2 },
                                                                    { 501, 5 }, { 900, 5 }, { 901, 6 } };
    for (auto [ts, want] : cases) {
        auto r = offset_for_timestamp(*log, ts);
        REQUIRE(r.ok());
        CHECK(*r == offset{ want });
    }
}

TEST_CASE_METHOD(engine_fixture, "an encoded batch that cannot be stored is refused", "[conformance][storage][encoded]")
{
    auto log = open_log("s/v/encoded-bad/0");
    SECTION("no records")
    {
        auto b = encoded_batch(1, "x");
        b.encoded->count = 0;
        auto r = log->append(std::move(b));
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code() == sdk::errc::invalid_argument);
    }
    SECTION("an offset slot outside the bytes")
    {
        auto b = encoded_batch(1, "x");
        b.encoded->offset_slots.push_back({ 16, 0 });
        auto r = log->append(std::move(b));
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code() == sdk::errc::invalid_argument);
    }
    SECTION("no format name")
    {
        auto b = encoded_batch(1, "x");
        b.encoded->format.clear();
        auto r = log->append(std::move(b));
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code() == sdk::errc::invalid_argument);
    }
    CHECK(log->offsets().next == offset{ 0 });
    REQUIRE(log->append(batch_of(1)).ok()); // the log still works
    CHECK(log->offsets().next == offset{ 1 });
}

TEST_CASE_METHOD(engine_fixture,
                 "encoded batches survive a restart of a durable engine",
                 "[conformance][storage][encoded][durable]")
{
    const bool durable = engine().caps().durable;
    {
        auto log = open_log("s/v/encoded-restart/0");
        REQUIRE(log->append(batch_of(1)).ok());
        REQUIRE(log->append(encoded_batch(3, "kept-across-restart")).ok());
        REQUIRE(log->truncate_prefix(offset{ 2 }).ok());
        REQUIRE(flush(*log).ok());
    }
    restart_engine();
    auto log = open_log("s/v/encoded-restart/0");
    if (!durable) {
        CHECK(log->offsets().next == offset{ 0 });
        return;
    }
    CHECK(log->offsets().start == offset{ 2 });
    CHECK(log->offsets().next == offset{ 4 });
    auto r = read(*log, offset{ 2 }, whole);
    REQUIRE(r.ok());
    REQUIRE(r->encoded.has_value());
    CHECK(r->base_offset == offset{ 1 });
    CHECK(r->encoded->count == 3);
    CHECK(r->encoded->format == "test.v1");
    CHECK(r->encoded->max_timestamp == sdk::timestamp_ms(1000));
    CHECK(r->encoded->bytes.to_string() == stored_bytes(3, "kept-across-restart", 1));
}
