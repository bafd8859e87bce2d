// Key layout, stored values and status mapping of the RocksDB engine.
#include "key_codec.h"
#include "record_value.h"
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

TEST_CASE("record keys sort by log, then offset", "[rocksdb][codec]")
{
    const std::vector<std::string> ordered{
        bytes_of(fixed_key::first_of(log_id(1))),
        bytes_of(fixed_key::record(log_id(1), sdk::offset(1))),
        bytes_of(fixed_key::record(log_id(1), sdk::offset(255))),
        bytes_of(fixed_key::record(log_id(1), sdk::offset(256))),
        bytes_of(fixed_key::record(log_id(1), sdk::offset(std::numeric_limits<std::int64_t>::max()))),
        bytes_of(fixed_key::past(log_id(1))),
        bytes_of(fixed_key::record(log_id(2), sdk::offset(0))),
        bytes_of(fixed_key::record(log_id(256), sdk::offset(0))),
    };
    for (std::size_t i = 1; i < ordered.size(); ++i) {
        INFO("key " << i);
        CHECK(ordered[i - 1] <= ordered[i]);
    }
    CHECK(bytes_of(fixed_key::past(log_id(1))) == bytes_of(fixed_key::record(log_id(2), sdk::offset(0))));

    auto k = fixed_key::record(log_id(7), sdk::offset(123456789));
    CHECK(offset_of_record_key(k.slice(), log_id(7)) == sdk::offset(123456789));
    CHECK_FALSE(offset_of_record_key(k.slice(), log_id(8)).has_value());
    CHECK_FALSE(offset_of_record_key(rocksdb::Slice("short"), log_id(7)).has_value());
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

TEST_CASE("a record value carries its header and the codec's record", "[rocksdb][codec]")
{
    sdk::message m;
    m.timestamp = sdk::timestamp_ms(-5);
    m.routing_key = "rk";
    m.body = sdk::buffer_chain::copy_of("body");
    std::string value;
    encode_record_value(m, 1000, value);
    auto h = decode_record_header(value);
    REQUIRE(h.has_value());
    CHECK(h->timestamp == sdk::timestamp_ms(-5));
    CHECK(h->begin_bytes == 1000);
    CHECK(h->size_bytes == m.size_bytes());
    CHECK(h->end_bytes() == 1000 + m.size_bytes());
    CHECK(record_part(value).size() == value.size() - record_header_size);
    CHECK_FALSE(decode_record_header(rocksdb::Slice(value.data(), record_header_size)).has_value());
    value[0] = 2;
    CHECK_FALSE(decode_record_header(value).has_value());
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
