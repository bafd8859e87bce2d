// RecordBatch v2 both ways: what Fetch encodes, Produce decodes to the same messages; a bad CRC,
// a truncated batch, another magic and a bad record are refused with Kafka's error for each.
#include "record_batch_v2.h"

#include <catch2/catch.hpp>

#include <iterator>
#include <memory>
#include <string>

using namespace plexus::protocol::kafka;
namespace sdk = plexus::sdk;

namespace {

sdk::record_batch sample()
{
    sdk::record_batch b;
    b.base_offset = sdk::offset(40);
    for (int i = 0; i < 3; ++i) {
        auto m = std::make_shared<sdk::message>();
        m->key = i == 1 ? "" : "key-" + std::to_string(i);
        m->body = sdk::buffer_chain::copy_of("value-" + std::to_string(i));
        m->timestamp = sdk::timestamp_ms(1700000000000 + i * 5);
        m->headers_.push_back({ "h", std::string("v") });
        m->headers_.push_back({ "null", std::monostate{} });
        b.records.push_back(std::move(m));
    }
    return b;
}

} // namespace

TEST_CASE("a batch Fetch encodes decodes to the same records", "[kafka][records]")
{
    auto bytes = encode_record_batch(sample());
    REQUIRE(bytes.size() > 61);
    auto d = decode_record_batches(bytes + bytes, sdk::timestamp_ms(1), "orders"); // two batches
    REQUIRE(d.error == error_code::none);
    REQUIRE(d.records.size() == 6);
    for (int i = 0; i < 3; ++i) {
        const auto& m = *d.records[static_cast<std::size_t>(i)];
        CHECK(m.key == (i == 1 ? "" : "key-" + std::to_string(i)));
        CHECK(m.body.to_string() == "value-" + std::to_string(i));
        CHECK(m.timestamp() == 1700000000000 + i * 5);
        CHECK(m.routing_key == "orders");
        REQUIRE(m.headers_.size() == 2);
        CHECK(m.headers_[0] == sdk::header{ "h", std::string("v") });
        CHECK(m.headers_[1] == sdk::header{ "null", std::monostate{} });
    }
}

TEST_CASE("a batch with a wrong CRC32C is a corrupt message", "[kafka][records]")
{
    auto bytes = encode_record_batch(sample());
    bytes.back() ^= 0x01;
    CHECK(decode_record_batches(bytes, sdk::timestamp_ms(1), "t").error == error_code::corrupt_message);
}

TEST_CASE("every truncation of a batch is refused", "[kafka][records]")
{
    auto bytes = encode_record_batch(sample());
    for (std::size_t n = 1; n < bytes.size(); ++n) {
        INFO("prefix " << n);
        CHECK(decode_record_batches(bytes.substr(0, n), sdk::timestamp_ms(1), "t").error != error_code::none);
    }
}

TEST_CASE("only magic 2 is accepted", "[kafka][records]")
{
    auto bytes = encode_record_batch(sample());
    bytes[16] = 1;
    CHECK(decode_record_batches(bytes, sdk::timestamp_ms(1), "t").error == error_code::unsupported_for_message_format);
}

TEST_CASE("an empty batch encodes to nothing", "[kafka][records]")
{
    CHECK(encode_record_batch({}).empty());
    CHECK(decode_record_batches("", sdk::timestamp_ms(1), "t").records.empty());
}

TEST_CASE("records without headers, with long values and far timestamps, decode as encoded", "[kafka][records]")
{
    // Values, keys and deltas whose varints take one, two and three bytes, records with and
    // without headers: each record's length prefix must cover exactly its bytes.
    sdk::record_batch b;
    b.base_offset = sdk::offset(7);
    const std::size_t sizes[] = { 0, 1, 127, 128, 16383, 16384, 70000 };
    for (std::size_t i = 0; i < std::size(sizes); ++i) {
        auto m = std::make_shared<sdk::message>();
        m->key = i % 2 == 0 ? "" : std::string(i * 40, 'k');
        m->body = sdk::buffer_chain::copy_of(std::string(sizes[i], static_cast<char>('a' + i)));
        m->timestamp = sdk::timestamp_ms(1700000000000 + static_cast<std::int64_t>(i) * 100000000);
        if (i == 3) {
            m->headers_.push_back({ "between", std::string("plain ones") });
        }
        b.records.push_back(std::move(m));
    }
    auto d = decode_record_batches(encode_record_batch(b), sdk::timestamp_ms(1), "t");
    REQUIRE(d.error == error_code::none);
    REQUIRE(d.records.size() == std::size(sizes));
    for (std::size_t i = 0; i < std::size(sizes); ++i) {
        INFO("record " << i);
        const auto& m = *d.records[i];
        CHECK(m.key == b.records[i]->key);
        CHECK(m.body.to_string() == b.records[i]->body.to_string());
        CHECK(m.timestamp() == b.records[i]->timestamp());
        CHECK(m.headers_.size() == (i == 3 ? 1u : 0u));
    }
}
