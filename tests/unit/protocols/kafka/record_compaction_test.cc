// What a compaction needs of stored Kafka batches (ADR 0020): every record's key, tombstone
// flag and time; and the records it keeps re-encoded as valid batches of dense records, one
// per run, each at the offset of its first record, the records otherwise byte for byte.
#include "batch_crc.h"
#include "compression.h"
#include "kafka_record_format.h"
#include "record_batch_v2.h"

#include <catch2/catch.hpp>

#include <memory>
#include <string>

using namespace plexus::protocol::kafka;
using plexus::protocol::kafka::testing::with_crc;
namespace sdk = plexus::sdk;

namespace {

constexpr std::int64_t ts0 = 1700000000000;

/// One batch of records with these keys (value "<key><i>"), and a last record with key "t"
/// and a null value: a tombstone.
std::string batch_with_tombstone(const std::vector<std::string>& keys)
{
    sdk::record_batch b;
    for (std::size_t i = 0; i <= keys.size(); ++i) {
        auto m = std::make_shared<sdk::message>();
        const bool last = i == keys.size();
        m->key = last ? "t" : keys[i];
        if (!last) {
            m->body = sdk::buffer_chain::copy_of(keys[i] + std::to_string(i));
        }
        m->timestamp = sdk::timestamp_ms(ts0 + static_cast<std::int64_t>(i));
        m->headers_.push_back({ "h", std::string("v" + std::to_string(i)) });
        b.records.push_back(std::move(m));
    }
    auto bytes = encode_record_batch(b);
    // The empty value's length (zigzag 0) right after the last record's key becomes -1 (1).
    const auto key_at = bytes.rfind('t');
    REQUIRE(key_at != std::string::npos);
    REQUIRE(bytes[key_at + 1] == '\0');
    bytes[key_at + 1] = '\x01';
    return with_crc(std::move(bytes));
}

/// `batch` (uncompressed) with its records section compressed by `codec`, as a client sends it.
std::string compressed(std::string batch, compression_codec codec)
{
    auto packed = compress(codec, std::string_view(batch).substr(61));
    REQUIRE(packed.ok());
    batch.resize(61);
    batch += *packed;
    const auto length = static_cast<std::uint32_t>(batch.size() - 12);
    for (int i = 0; i < 4; ++i) {
        batch[8 + static_cast<std::size_t>(i)] = static_cast<char>(length >> (8 * (3 - i)));
    }
    batch[22] = static_cast<char>(static_cast<std::uint8_t>(batch[22]) | static_cast<std::uint8_t>(codec));
    return with_crc(std::move(batch));
}

std::int16_t attributes_of(const std::string& batch)
{
    return static_cast<std::int16_t>((static_cast<std::uint8_t>(batch[21]) << 8) |
                                     static_cast<std::uint8_t>(batch[22]));
}

std::vector<std::string> bodies_of(const std::string& batch_bytes)
{
    auto d = decode_record_batches(batch_bytes, sdk::timestamp_ms(0), "t");
    REQUIRE(d.error == error_code::none);
    std::vector<std::string> out;
    for (const auto& m : d.records) {
        out.push_back(m->key + "=" + m->body.to_string());
    }
    return out;
}

} // namespace

TEST_CASE("the keys of stored batches, tombstones marked", "[kafka][records][compaction]")
{
    const auto bytes = batch_with_tombstone({ "a", "b", "a" });
    auto read = keys_of_record_batches(bytes + bytes, sdk::timestamp_ms(1));
    REQUIRE(read.error == error_code::none);
    REQUIRE(read.keys.size() == 8);
    CHECK(read.keys[0].key == "a");
    CHECK(read.keys[1].key == "b");
    CHECK(read.keys[3].key == "t");
    CHECK(read.keys[3].tombstone);
    CHECK_FALSE(read.keys[2].tombstone);
    CHECK(read.keys[2].timestamp == sdk::timestamp_ms(ts0 + 2));
    CHECK(read.keys[7].tombstone);

    const kafka_record_format format;
    auto through_format = format.keys(sdk::buffer_chain::copy_of(bytes));
    REQUIRE(through_format.ok());
    CHECK(through_format->size() == 4);
    auto broken = format.keys(sdk::buffer_chain::copy_of(bytes.substr(0, bytes.size() - 3)));
    REQUIRE_FALSE(broken.ok());
    CHECK(broken.error().code() == sdk::errc::corruption);
}

TEST_CASE("kept records are re-encoded as one valid batch per run", "[kafka][records][compaction]")
{
    const auto bytes = batch_with_tombstone({ "a", "b", "c", "d" }); // 5 records
    auto kept = retain_records(bytes, 100, { true, false, true, true, false }, sdk::timestamp_ms(1));
    REQUIRE(kept.error == error_code::none);
    REQUIRE(kept.batches.size() == 2);
    CHECK(kept.batches[0].first_offset == 100);
    CHECK(kept.batches[0].count == 1);
    CHECK(kept.batches[1].first_offset == 102);
    CHECK(kept.batches[1].count == 2);
    CHECK(kept.batches[1].max_timestamp == sdk::timestamp_ms(ts0 + 3));
    CHECK(bodies_of(kept.batches[0].bytes) == std::vector<std::string>{ "a=a0" });
    CHECK(bodies_of(kept.batches[1].bytes) == std::vector<std::string>{ "c=c2", "d=d3" });
    // Each is a batch a Kafka broker takes: CRC, header and dense offset deltas.
    for (const auto& b : kept.batches) {
        auto staged = stage_record_batches(b.bytes, sdk::timestamp_ms(1));
        INFO(staged.detail);
        CHECK(staged.error == error_code::none);
        CHECK(staged.encoded.count == b.count);
    }
    auto d = decode_record_batches(kept.batches[1].bytes, sdk::timestamp_ms(0), "t");
    REQUIRE(d.records.size() == 2);
    CHECK(d.records[1]->timestamp == sdk::timestamp_ms(ts0 + 3));
    CHECK(d.records[1]->headers_.at(0).value == sdk::header_value(std::string("v3")));

    SECTION("the tombstone stays a tombstone")
    {
        auto only_tombstone = retain_records(bytes, 0, { false, false, false, false, true }, sdk::timestamp_ms(1));
        REQUIRE(only_tombstone.batches.size() == 1);
        auto keys = keys_of_record_batches(only_tombstone.batches[0].bytes, sdk::timestamp_ms(1));
        REQUIRE(keys.keys.size() == 1);
        CHECK(keys.keys[0].tombstone);
    }
    SECTION("nothing kept is no batch")
    {
        auto none = retain_records(bytes, 0, std::vector<bool>(5, false), sdk::timestamp_ms(1));
        REQUIRE(none.error == error_code::none);
        CHECK(none.batches.empty());
    }
    SECTION("a keep list of another length is refused")
    {
        CHECK(retain_records(bytes, 0, { true, true }, sdk::timestamp_ms(1)).error == error_code::corrupt_message);
    }
    SECTION("through the record format: encoded batches with their offset slot")
    {
        const kafka_record_format format;
        auto batches =
          format.retain(sdk::buffer_chain::copy_of(bytes), sdk::offset(7), { false, true, true, true, true });
        REQUIRE(batches.ok());
        REQUIRE(batches->size() == 1);
        const auto& b = batches->front();
        CHECK(b.base_offset == sdk::offset(8));
        REQUIRE(b.encoded.has_value());
        CHECK(b.encoded->format == "kafka.v2");
        CHECK(b.encoded->count == 4);
        CHECK(b.encoded->offset_slots == std::vector<sdk::encoded_records::offset_slot>{ { 0, 0 } });
    }
}

TEST_CASE("kept records of a compressed batch stay compressed with its codec", "[kafka][records][compaction]")
{
    // Long values, so that each codec makes the kept records smaller.
    std::vector<std::string> keys;
    for (int i = 0; i < 6; ++i) {
        keys.push_back(std::string(200, static_cast<char>('a' + i)));
    }
    for (auto codec :
         { compression_codec::gzip, compression_codec::snappy, compression_codec::lz4, compression_codec::zstd }) {
        INFO("codec " << static_cast<int>(codec));
        const auto bytes = compressed(batch_with_tombstone(keys), codec); // 7 records
        REQUIRE(stage_record_batches(bytes, sdk::timestamp_ms(1)).error == error_code::none);
        auto kept = retain_records(bytes, 0, { false, true, true, true, false, false, true }, sdk::timestamp_ms(1));
        REQUIRE(kept.error == error_code::none);
        REQUIRE(kept.batches.size() == 2);
        CHECK((attributes_of(kept.batches[0].bytes) & 0x07) == static_cast<std::int16_t>(codec));
        auto staged = stage_record_batches(kept.batches[0].bytes, sdk::timestamp_ms(1));
        INFO(staged.detail);
        CHECK(staged.error == error_code::none);
        auto d = decode_record_batches(kept.batches[0].bytes, sdk::timestamp_ms(0), "t");
        REQUIRE(d.records.size() == 3);
        CHECK(d.records[0]->key == keys[1]);
        CHECK(d.records[2]->body.to_string() == keys[3] + "3");
        // One tombstone alone is no smaller compressed: it is written as it is.
        CHECK((attributes_of(kept.batches[1].bytes) & 0x07) == 0);
        CHECK(keys_of_record_batches(kept.batches[1].bytes, sdk::timestamp_ms(1)).keys.at(0).tombstone);
    }
}
