// The generated codecs: every served version of each message survives a write and a read, the
// flexible versions use compact encodings and tagged fields, and every truncation of a valid
// message is refused rather than misread.
#include "generated/api_versions.h"
#include "generated/fetch.h"
#include "generated/list_offsets.h"
#include "generated/metadata.h"
#include "generated/produce.h"
#include "generated/request_header.h"
#include "generated/response_header.h"

#include <catch2/catch.hpp>

#include <string>

using namespace plexus::protocol::kafka;
using namespace plexus::protocol::kafka::generated;
using namespace std::string_literals;

namespace {

template<class T>
std::string encode(const T& m, std::int16_t version)
{
    wire_writer w;
    m.write(w, version);
    return w.take();
}

template<class T>
bool decode(std::string_view bytes, std::int16_t version, T& out)
{
    wire_reader r(bytes);
    out.read(r, version);
    return r.ok() && r.remaining() == 0;
}

/// Writes `m` at `version`, reads it back, and checks that every strict prefix fails.
template<class T>
T round_trip(const T& m, std::int16_t version)
{
    auto bytes = encode(m, version);
    T back;
    REQUIRE(decode(bytes, version, back));
    CHECK(encode(back, version) == bytes);
    for (std::size_t n = 0; n < bytes.size(); ++n) {
        T partial;
        wire_reader r(std::string_view(bytes).substr(0, n));
        partial.read(r, version);
        INFO("prefix " << n << " of " << bytes.size() << " at version " << version);
        CHECK_FALSE(r.ok());
    }
    return back;
}

metadata_response sample_metadata()
{
    metadata_response m;
    m.brokers.push_back({ 0, "127.0.0.1", 9092, std::nullopt });
    m.cluster_id = "plexus";
    m.controller_id = 0;
    metadata_response::metadata_response_topic t;
    t.name = "orders";
    t.partitions.push_back({ 0, 0, 0, 0, { 0 }, { 0 }, {} });
    t.partitions.push_back({ 0, 1, 0, 0, { 0 }, { 0 }, {} });
    m.topics.push_back(t);
    return m;
}

} // namespace

TEST_CASE("ApiVersions: every served version round-trips", "[kafka][codec]")
{
    api_versions_response m;
    m.api_keys = { { 18, 0, 3 }, { 3, 0, 12 } };
    m.throttle_time_ms = 5;
    for (std::int16_t v = api_versions_response::lowest_version; v <= api_versions_response::highest_version; ++v) {
        auto back = round_trip(m, v);
        CHECK(back.api_keys == m.api_keys);
        CHECK(back.throttle_time_ms == (v >= 1 ? 5 : 0));
    }
}

TEST_CASE("ApiVersions v3 request: compact strings and an empty tag section", "[kafka][codec]")
{
    api_versions_request q;
    q.client_software_name = "kcat";
    q.client_software_version = "1";
    CHECK(encode(q, 3) == "\x05kcat\x02"
                          "1\x00"s);
    CHECK(encode(q, 2).empty()); // v0-v2 carry no fields
}

TEST_CASE("ApiVersions v3 response: a tagged field is read and unknown tags are skipped", "[kafka][codec]")
{
    api_versions_response m;
    m.finalized_features_epoch = 7; // tag 1, written because it differs from the default -1
    auto bytes = encode(m, 3);
    api_versions_response back;
    REQUIRE(decode(bytes, 3, back));
    CHECK(back.finalized_features_epoch == 7);
    // The same message with an extra, unknown tag 9 in the top-level section.
    std::string with_unknown = bytes;
    REQUIRE(with_unknown.back() != '\x00');
    api_versions_response plain;
    auto plain_bytes = encode(plain, 3);
    REQUIRE(plain_bytes.back() == '\x00');
    plain_bytes.back() = '\x01';
    plain_bytes += "\x09\x02\xab\xcd"s;
    api_versions_response plain_back;
    REQUIRE(decode(plain_bytes, 3, plain_back));
    CHECK(plain_back.finalized_features_epoch == -1);
}

TEST_CASE("Metadata: classic and flexible versions round-trip", "[kafka][codec]")
{
    auto m = sample_metadata();
    for (std::int16_t v = metadata_response::lowest_version; v <= metadata_response::highest_version; ++v) {
        auto back = round_trip(m, v);
        REQUIRE(back.topics.size() == 1);
        CHECK(back.topics[0].name == "orders");
        CHECK(back.topics[0].partitions.size() == 2);
        CHECK(back.brokers[0].host == "127.0.0.1");
        CHECK(back.brokers[0].port == 9092);
        CHECK(back.cluster_id == (v >= 2 ? std::optional<std::string>("plexus") : std::nullopt));
    }
    metadata_request all_topics; // null topics: every topic (v1+)
    for (std::int16_t v = 1; v <= metadata_request::highest_version; ++v) {
        auto back = round_trip(all_topics, v);
        CHECK_FALSE(back.topics.has_value());
    }
}

TEST_CASE("Produce: the records travel as opaque bytes", "[kafka][codec]")
{
    produce_request q;
    q.acks = -1;
    q.timeout_ms = 1000;
    produce_request::topic_produce_data t;
    t.name = "orders";
    t.partition_data.push_back({ 0, "batch-bytes"s });
    q.topic_data.push_back(t);
    for (std::int16_t v = produce_request::lowest_version; v <= produce_request::highest_version; ++v) {
        auto back = round_trip(q, v);
        CHECK(back.acks == -1);
        CHECK(back.topic_data[0].partition_data[0].records == "batch-bytes");
    }
    produce_response r;
    produce_response::topic_produce_response tr;
    tr.name = "orders";
    tr.partition_responses.push_back({});
    tr.partition_responses[0].base_offset = 42;
    r.responses.push_back(tr);
    for (std::int16_t v = produce_response::lowest_version; v <= produce_response::highest_version; ++v) {
        CHECK(round_trip(r, v).responses[0].partition_responses[0].base_offset == 42);
    }
}

TEST_CASE("Fetch and ListOffsets round-trip", "[kafka][codec]")
{
    fetch_request q;
    q.max_wait_ms = 500;
    q.min_bytes = 1;
    fetch_request::fetch_topic t;
    t.topic = "orders";
    fetch_request::fetch_topic::fetch_partition p;
    p.partition = 1;
    p.fetch_offset = 10;
    p.partition_max_bytes = 1 << 20;
    t.partitions.push_back(p);
    q.topics.push_back(t);
    for (std::int16_t v = fetch_request::lowest_version; v <= fetch_request::highest_version; ++v) {
        auto back = round_trip(q, v);
        CHECK(back.topics[0].partitions[0].fetch_offset == 10);
        CHECK(back.max_wait_ms == 500);
    }
    list_offsets_request lq;
    lq.topics.push_back({ "orders", { { 0, -1, -2 } } });
    for (std::int16_t v = list_offsets_request::lowest_version; v <= list_offsets_request::highest_version; ++v) {
        CHECK(round_trip(lq, v).topics[0].partitions[0].timestamp == -2);
    }
}

TEST_CASE("Request header v1 keeps a classic client id even in v2", "[kafka][codec]")
{
    request_header h;
    h.request_api_key = 18;
    h.request_api_version = 3;
    h.correlation_id = 7;
    h.client_id = "rdkafka";
    CHECK(encode(h, 1) == "\x00\x12\x00\x03\x00\x00\x00\x07\x00\x07rdkafka"s);
    CHECK(encode(h, 2) == "\x00\x12\x00\x03\x00\x00\x00\x07\x00\x07rdkafka\x00"s);
    CHECK(round_trip(h, 2).client_id == "rdkafka");
    response_header rh;
    rh.correlation_id = 7;
    CHECK(encode(rh, 0) == "\x00\x00\x00\x07"s);
    CHECK(encode(rh, 1) == "\x00\x00\x00\x07\x00"s);
}
