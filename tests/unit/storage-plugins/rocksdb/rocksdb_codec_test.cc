// Key layout, stored values and status mapping of the RocksDB engine.
#include "batch_value.h"
#include "key_codec.h"
#include "record_codec.h"
#include "status_mapping.h"

#include <catch2/catch.hpp>

#include <limits>
#include <string>
#include <vector>

using namespace plexus;
using namespace plexus::storage::rocks;

namespace {

std::string bytes_of(const fixed_key& k)
{
    return k.slice().ToString();
}

} // namespace

TEST_CASE("batch keys sort by log, then first offset", "[rocksdb][codec]")
{
    const std::vector<std::string> ordered{
        bytes_of(fixed_key::first_of(log_id(1))),
        bytes_of(fixed_key::batch(log_id(1), sdk::offset(1))),
        bytes_of(fixed_key::batch(log_id(1), sdk::offset(255))),
        bytes_of(fixed_key::batch(log_id(1), sdk::offset(256))),
        bytes_of(fixed_key::batch(log_id(1), sdk::offset(std::numeric_limits<std::int64_t>::max()))),
        bytes_of(fixed_key::past(log_id(1))),
        bytes_of(fixed_key::batch(log_id(2), sdk::offset(0))),
        bytes_of(fixed_key::batch(log_id(256), sdk::offset(0))),
    };
    for (std::size_t i = 1; i < ordered.size(); ++i) {
        INFO("key " << i);
        CHECK(ordered[i - 1] <= ordered[i]);
    }
    CHECK(bytes_of(fixed_key::past(log_id(1))) == bytes_of(fixed_key::batch(log_id(2), sdk::offset(0))));
    CHECK(bytes_of(fixed_key::first_of(log_id(1))) == bytes_of(fixed_key::batch(log_id(1), sdk::offset(0))));

    auto k = fixed_key::batch(log_id(7), sdk::offset(123456789));
    CHECK(offset_of_batch_key(k.slice(), log_id(7)) == sdk::offset(123456789));
    CHECK_FALSE(offset_of_batch_key(k.slice(), log_id(8)).has_value());
    CHECK_FALSE(offset_of_batch_key(rocksdb::Slice("short"), log_id(7)).has_value());
}

TEST_CASE("index keys sort signed timestamps", "[rocksdb][codec]")
{
    const std::vector<std::int64_t> ts{ std::numeric_limits<std::int64_t>::min(), -1000, -1, 0, 1, 1700000000000,
                                        std::numeric_limits<std::int64_t>::max() };
    for (std::size_t i = 1; i < ts.size(); ++i) {
        CHECK(bytes_of(fixed_key::index(log_id(3), sdk::timestamp_ms(ts[i - 1]))) <
              bytes_of(fixed_key::index(log_id(3), sdk::timestamp_ms(ts[i]))));
    }
    for (auto t : ts) {
        auto k = fixed_key::index(log_id(3), sdk::timestamp_ms(t));
        CHECK(timestamp_of_index_key(k.slice(), log_id(3)) == sdk::timestamp_ms(t));
    }
    // The smallest timestamp's key is the log's first key.
    CHECK(bytes_of(fixed_key::index(log_id(3), sdk::timestamp_ms(std::numeric_limits<std::int64_t>::min()))) ==
          bytes_of(fixed_key::first_of(log_id(3))));
}

TEST_CASE("log_meta and index values round-trip", "[rocksdb][codec]")
{
    auto v = encode_log_meta(log_meta{ log_id(42), sdk::offset(1234) });
    auto m = decode_log_meta(v);
    REQUIRE(m.has_value());
    CHECK(m->id == log_id(42));
    CHECK(m->start == sdk::offset(1234));
    CHECK_FALSE(decode_log_meta(rocksdb::Slice(v.data(), v.size() - 1)).has_value());
    v[0] = 9; // unknown version
    CHECK_FALSE(decode_log_meta(v).has_value());
    CHECK_FALSE(decode_log_meta(encode_log_meta(log_meta{ log_id(0), sdk::offset(0) })).has_value());

    CHECK(decode_index_value(encode_index_value(sdk::offset(99))) == sdk::offset(99));
    CHECK_FALSE(decode_index_value(rocksdb::Slice("1234567")).has_value());
}

namespace {

/// The value the encoder's parts make, as RocksDB stores it.
std::string joined(batch_encoder& e)
{
    std::string out;
    for (const auto& p : e.parts()) {
        out.append(p.data(), p.size());
    }
    return out;
}

} // namespace

TEST_CASE("a stored batch carries its header, a size table and the codec's records", "[rocksdb][codec]")
{
    std::vector<sdk::message> ms(3);
    const std::vector<std::int64_t> ts{ -5, 40, 7 };
    for (std::size_t i = 0; i < ms.size(); ++i) {
        ms[i].timestamp = sdk::timestamp_ms(ts[i]);
        ms[i].routing_key = "rk";
        ms[i].body = sdk::buffer_chain::copy_of(std::string(10 * (i + 1), 'x'));
    }
    batch_encoder e;
    e.start(1000);
    for (const auto& m : ms) {
        e.add(m);
    }
    CHECK(e.count() == 3);
    CHECK(e.size_bytes() == ms[0].size_bytes() + ms[1].size_bytes() + ms[2].size_bytes());
    CHECK(e.end_bytes() == 1000 + e.size_bytes());
    CHECK(e.max_timestamp() == sdk::timestamp_ms(40));
    const std::string value = joined(e);
    CHECK(static_cast<unsigned char>(value[0]) == storage_format_version);

    auto v = batch_view::parse(value);
    REQUIRE(v.has_value());
    CHECK(v->header().count == 3);
    CHECK(v->header().max_timestamp == sdk::timestamp_ms(40));
    CHECK(v->header().begin_bytes == 1000);
    CHECK(v->header().end_bytes() == e.end_bytes());
    CHECK(v->bytes_before(0) == std::uint64_t{ 0 });
    CHECK(v->bytes_before(2) == ms[0].size_bytes() + ms[1].size_bytes());
    CHECK(v->bytes_before(3) == e.size_bytes());
    CHECK_FALSE(v->bytes_before(4).has_value());
    auto sizes = v->record_sizes();
    for (const auto& m : ms) {
        CHECK(sizes.next() == std::uint64_t{ m.size_bytes() });
    }
    CHECK_FALSE(sizes.next().has_value());

    // The records part is what decode_records() reads.
    const auto records = v->records();
    const auto slab = sdk::bytes::copy_of(records);
    std::vector<sdk::message_ptr> decoded;
    REQUIRE(storage::decode_records(slab, 0, slab.size(), 3, decoded).ok());
    REQUIRE(decoded.size() == 3);
    for (std::size_t i = 0; i < ms.size(); ++i) {
        CHECK(decoded[i]->timestamp == ms[i].timestamp);
        CHECK(decoded[i]->body.to_string() == ms[i].body.to_string());
    }

    // A reused encoder starts afresh.
    e.start(e.end_bytes());
    e.add(ms[2]);
    auto w = batch_view::parse(joined(e));
    REQUIRE(w.has_value());
    CHECK(w->header().count == 1);
    CHECK(w->header().begin_bytes == v->header().end_bytes());
    CHECK(w->header().max_timestamp == sdk::timestamp_ms(7));

    SECTION("too short, or a table longer than the value, is refused")
    {
        CHECK_FALSE(batch_view::parse(rocksdb::Slice(value.data(), batch_header_size - 1)).has_value());
        CHECK_FALSE(batch_view::parse(rocksdb::Slice(value.data(), batch_header_size + 2)).has_value());
    }
    SECTION("another format is refused")
    {
        std::string other = value;
        other[0] = 1; // format 1 stored one record per key
        CHECK_FALSE(batch_view::parse(other).has_value());
    }
    SECTION("a batch of no records is refused")
    {
        std::string empty = value;
        empty[1] = empty[2] = empty[3] = empty[4] = 0;
        CHECK_FALSE(batch_view::parse(empty).has_value());
    }
}

TEST_CASE("rocksdb statuses map to sdk codes", "[rocksdb][status]")
{
    CHECK(to_errc(rocksdb::Status::OK()) == sdk::errc::ok);
    CHECK(to_status(rocksdb::Status::OK(), "x").ok());
    CHECK(to_errc(rocksdb::Status::NotFound()) == sdk::errc::not_found);
    CHECK(to_errc(rocksdb::Status::NoSpace()) == sdk::errc::resource_exhausted);
    CHECK(to_errc(rocksdb::Status::IOError(rocksdb::Status::kNoSpace)) == sdk::errc::resource_exhausted);
    CHECK(to_errc(rocksdb::Status::Corruption()) == sdk::errc::corruption);
    CHECK(to_errc(rocksdb::Status::IOError("disk")) == sdk::errc::io_error);
    CHECK(to_errc(rocksdb::Status::InvalidArgument()) == sdk::errc::internal);
    CHECK(to_errc(rocksdb::Status::Busy()) == sdk::errc::internal);
    auto st = to_status(rocksdb::Status::Corruption("bad block"), "reading log 'q'");
    CHECK(st.code() == sdk::errc::corruption);
    CHECK(std::string(st.message()).find("reading log 'q'") != std::string::npos);
    CHECK(std::string(st.message()).find("bad block") != std::string::npos);
}

TEST_CASE("an encoded stored batch carries its format name and its bytes, offset slots set",
          "[rocksdb][codec][encoded]")
{
    sdk::encoded_records e;
    e.format = "test.v1";
    e.bytes = sdk::buffer_chain::copy_of(std::string(8, '\xee') + "payload");
    e.count = 4;
    e.max_timestamp = sdk::timestamp_ms(-3);
    e.offset_slots.push_back({ 0, 0 });
    batch_encoder enc;
    enc.start_encoded(e, sdk::offset(0x0102), 500);
    CHECK(enc.count() == 4);
    CHECK(enc.size_bytes() == e.bytes.size());
    CHECK(enc.end_bytes() == 500 + e.bytes.size());
    CHECK(enc.max_timestamp() == sdk::timestamp_ms(-3));
    const std::string value = joined(enc);
    CHECK(static_cast<unsigned char>(value[0]) == storage_format_encoded);

    auto v = batch_view::parse(value);
    REQUIRE(v.has_value());
    CHECK(v->encoded());
    CHECK(v->format_name() == "test.v1");
    CHECK(v->records() == std::string("\0\0\0\0\0\0\x01\x02", 8) + "payload");
    CHECK(v->header().count == 4);
    CHECK(v->header().max_timestamp == sdk::timestamp_ms(-3));
    CHECK(v->header().begin_bytes == 500);
    CHECK(v->header().end_bytes() == enc.end_bytes());
    // Counted whole while any of its records is live.
    CHECK(v->bytes_before(0) == std::uint64_t{ 0 });
    CHECK(v->bytes_before(3) == std::uint64_t{ 0 });
    CHECK(v->bytes_before(4) == std::uint64_t{ e.bytes.size() });
    CHECK_FALSE(v->bytes_before(5).has_value());

    SECTION("a value whose bytes disagree with its header is refused")
    {
        CHECK_FALSE(batch_view::parse(rocksdb::Slice(value.data(), value.size() - 1)).has_value());
        CHECK_FALSE(batch_view::parse(value + "x").has_value());
    }
    SECTION("a reused encoder goes back to messages")
    {
        sdk::message m;
        m.body = sdk::buffer_chain::copy_of("b");
        enc.start(enc.end_bytes());
        enc.add(m);
        auto w = batch_view::parse(joined(enc));
        REQUIRE(w.has_value());
        CHECK_FALSE(w->encoded());
        CHECK(w->format_name().empty());
        CHECK(static_cast<unsigned char>(joined(enc)[0]) == storage_format_version);
    }
}
