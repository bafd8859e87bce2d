// Produce stores batches as the client sent them (ADR 0019): stage_record_batches() keeps the
// bytes, one offset slot per batch, and refuses what a Kafka broker refuses; the plugin's
// record format decodes stored batches back into the same messages.
#include "batch_crc.h"
#include "kafka_record_format.h"
#include "record_batch_v2.h"

#include <catch2/catch.hpp>

#include <memory>
#include <string>

using namespace plexus::protocol::kafka;
using plexus::protocol::kafka::testing::with_crc;
namespace sdk = plexus::sdk;

namespace {

std::string batch_of(int n, std::int64_t ts0 = 1700000000000)
{
    sdk::record_batch b;
    for (int i = 0; i < n; ++i) {
        auto m = std::make_shared<sdk::message>();
        m->key = "key-" + std::to_string(i);
        m->body = sdk::buffer_chain::copy_of("value-" + std::to_string(i));
        m->timestamp = sdk::timestamp_ms(ts0 + i);
        m->headers_.push_back({ "h", std::string("v" + std::to_string(i)) });
        b.records.push_back(std::move(m));
    }
    return encode_record_batch(b);
}

std::int64_t be64(std::string_view s, std::size_t at)
{
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < 8; ++i) {
        v = (v << 8) | static_cast<unsigned char>(s[at + i]);
    }
    return static_cast<std::int64_t>(v);
}

} // namespace

TEST_CASE("staged batches keep their bytes with one offset slot each", "[kafka][records][staged]")
{
    const auto first = batch_of(3);
    const auto second = batch_of(2, 1700000009000);
    auto staged = stage_record_batches(first + second, sdk::timestamp_ms(1));
    REQUIRE(staged.error == error_code::none);
    CHECK(staged.encoded.format == "kafka.v2");
    CHECK(staged.encoded.count == 5);
    CHECK(staged.encoded.bytes.to_string() == first + second);
    CHECK(staged.encoded.max_timestamp == sdk::timestamp_ms(1700000009001));
    REQUIRE(staged.encoded.offset_slots.size() == 2);
    CHECK(staged.encoded.offset_slots[0] == sdk::encoded_records::offset_slot{ 0, 0 });
    CHECK(staged.encoded.offset_slots[1] ==
          sdk::encoded_records::offset_slot{ static_cast<std::uint32_t>(first.size()), 3 });
    CHECK(staged.producer_id == -1);
}

TEST_CASE("the record format decodes stored batches to the records produced", "[kafka][records][staged]")
{
    auto staged = stage_record_batches(batch_of(3) + batch_of(1, 1700000005000), sdk::timestamp_ms(1));
    REQUIRE(staged.error == error_code::none);
    const auto formats = kafka_record_formats();
    REQUIRE(formats.size() == 1);
    CHECK(formats[0]->name() == "kafka.v2");
    // Stored bytes arrive in fragments when a read joined batches.
    const auto flat = staged.encoded.bytes.to_string();
    sdk::buffer_chain pieces = sdk::buffer_chain::copy_of(flat.substr(0, 70));
    pieces.append(sdk::bytes::copy_of(flat.substr(70)));
    for (const auto* bytes : { &staged.encoded.bytes, &pieces }) {
        auto messages = formats[0]->decode(*bytes, "orders");
        REQUIRE(messages.ok());
        REQUIRE(messages->size() == 4);
        CHECK((*messages)[1]->key == "key-1");
        CHECK((*messages)[1]->body.to_string() == "value-1");
        CHECK((*messages)[1]->timestamp() == 1700000000001);
        CHECK((*messages)[1]->routing_key == "orders");
        CHECK((*messages)[3]->timestamp() == 1700000005000);
        REQUIRE((*messages)[2]->headers_.size() == 1);
        CHECK((*messages)[2]->headers_[0] == sdk::header{ "h", std::string("v2") });
    }
    auto broken = formats[0]->decode(sdk::buffer_chain::copy_of(flat.substr(0, 30)), "orders");
    REQUIRE_FALSE(broken.ok());
    CHECK(broken.error().code() == sdk::errc::corruption);
}

TEST_CASE("staging refuses what a Kafka broker refuses", "[kafka][records][staged]")
{
    auto bytes = batch_of(3);
    SECTION("a wrong CRC32C")
    {
        bytes.back() ^= 0x01;
        CHECK(stage_record_batches(bytes, sdk::timestamp_ms(1)).error == error_code::corrupt_message);
    }
    SECTION("every truncation")
    {
        for (std::size_t n = 1; n < bytes.size(); ++n) {
            CHECK(stage_record_batches(bytes.substr(0, n), sdk::timestamp_ms(1)).error != error_code::none);
        }
    }
    SECTION("another magic")
    {
        bytes[16] = 1;
        CHECK(stage_record_batches(bytes, sdk::timestamp_ms(1)).error == error_code::unsupported_for_message_format);
    }
    SECTION("a last offset delta that is not the record count less one")
    {
        bytes[26] = 5; // lastOffsetDelta (bytes 23-26): 5 for 3 records
        CHECK(stage_record_batches(with_crc(bytes), sdk::timestamp_ms(1)).error == error_code::corrupt_message);
    }
    SECTION("records whose offset deltas are not 0, 1, 2")
    {
        // The second record's offset delta: after its length, attributes and timestamp delta.
        const auto plain = batch_of(3);
        auto first_length = static_cast<std::size_t>(static_cast<unsigned char>(plain[61]) >> 1); // zigzag varint
        const std::size_t second = 61 + 1 + first_length;
        bytes[second + 3] = 0x08; // offset delta 4 (zigzag) where 1 belongs
        CHECK(stage_record_batches(with_crc(bytes), sdk::timestamp_ms(1)).error == error_code::corrupt_message);
    }
    SECTION("the same batch intact is taken")
    {
        CHECK(stage_record_batches(with_crc(bytes), sdk::timestamp_ms(1)).error == error_code::none);
    }
}

TEST_CASE("a LogAppendTime batch gets the broker's time under a new CRC", "[kafka][records][staged]")
{
    auto bytes = batch_of(2);
    bytes[22] = static_cast<char>(bytes[22] | 0x08); // timestamp type: LogAppendTime
    auto staged = stage_record_batches(with_crc(bytes), sdk::timestamp_ms(5));
    REQUIRE(staged.error == error_code::none);
    CHECK(staged.encoded.max_timestamp == sdk::timestamp_ms(5));
    const auto stored = staged.encoded.bytes.to_string();
    CHECK(be64(stored, 35) == 5);
    CHECK(with_crc(stored) == stored); // the CRC was recomputed
    auto messages = kafka_record_formats()[0]->decode(staged.encoded.bytes, "t");
    REQUIRE(messages.ok());
    REQUIRE(messages->size() == 2);
    CHECK((*messages)[0]->timestamp() == 5);
    CHECK((*messages)[1]->timestamp() == 5);

    auto create_time = stage_record_batches(batch_of(2), sdk::timestamp_ms(5));
    REQUIRE(create_time.error == error_code::none);
    CHECK(be64(create_time.encoded.bytes.to_string(), 35) == 1700000000001); // the client's max kept
}

TEST_CASE("transaction markers are not stored", "[kafka][records][staged]")
{
    auto marker = batch_of(1);
    marker[22] = static_cast<char>(marker[22] | 0x20); // control batch
    auto staged = stage_record_batches(with_crc(marker), sdk::timestamp_ms(1));
    REQUIRE(staged.error == error_code::none);
    CHECK(staged.encoded.count == 0);
    CHECK(staged.encoded.bytes.empty());
    const auto data = batch_of(2);
    auto mixed = stage_record_batches(with_crc(marker) + data, sdk::timestamp_ms(1));
    REQUIRE(mixed.error == error_code::none);
    CHECK(mixed.encoded.count == 2);
    CHECK(mixed.encoded.bytes.to_string() == data);
    REQUIRE(mixed.encoded.offset_slots.size() == 1);
    CHECK(mixed.encoded.offset_slots[0].at == 0);
}
