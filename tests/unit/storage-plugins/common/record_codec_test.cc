#include "record_codec.h"

#include <catch2/catch.hpp>

#include <limits>

using namespace plexus;
using storage::decode_records;
using storage::encode_record;

namespace {

sdk::message full_message()
{
    sdk::message m;
    m.exchange = "amq.topic";
    m.routing_key = "a.b.c";
    m.key = std::string("k\0ey", 4);
    m.timestamp = sdk::timestamp_ms(-1234567890123);
    auto& p = m.properties;
    p.content_type = "application/json";
    p.content_encoding = "gzip";
    p.correlation_id = "corr";
    p.reply_to = "amq.rabbitmq.reply-to";
    p.message_id = "id-1";
    p.type = "t";
    p.user_id = "guest";
    p.app_id = "app";
    p.ttl_ms = 60000;
    p.priority = 9;
    p.persistent = true;
    m.headers_ = { { "none", std::monostate{} },
                   { "flag", true },
                   { "min", std::numeric_limits<std::int64_t>::min() },
                   { "max", std::numeric_limits<std::int64_t>::max() },
                   { "pi", 3.14159 },
                   { "bin", std::string("\x00\xff\x01", 3) },
                   { "flag", false } };
    m.body = sdk::buffer_chain::copy_of("hello ");
    m.body.append(sdk::bytes::copy_of(std::string_view("world\0!", 7)));
    return m;
}

sdk::bytes slab_of(const std::string& s)
{
    return sdk::bytes::copy_of(std::string_view(s));
}

void check_same(const sdk::message& a, const sdk::message& b)
{
    CHECK(a.exchange == b.exchange);
    CHECK(a.routing_key == b.routing_key);
    CHECK(a.key == b.key);
    CHECK(a.timestamp == b.timestamp);
    CHECK(a.properties == b.properties);
    CHECK(a.headers_ == b.headers_);
    CHECK(a.body.to_string() == b.body.to_string());
}

} // namespace

TEST_CASE("record codec: every field round-trips", "[unit][storage][codec]")
{
    const sdk::message original = full_message();
    sdk::message empty;
    std::string out;
    encode_record(original, out);
    encode_record(empty, out);
    const auto slab = slab_of(out);
    std::vector<sdk::message_ptr> decoded;
    REQUIRE(decode_records(slab, 0, slab.size(), 2, decoded).ok());
    REQUIRE(decoded.size() == 2);
    check_same(*decoded[0], original);
    check_same(*decoded[1], empty);
    CHECK_FALSE(decoded[1]->properties.ttl_ms.has_value());
}

TEST_CASE("record codec: bodies share the buffer they were read from", "[unit][storage][codec]")
{
    sdk::message m;
    m.body = sdk::buffer_chain::copy_of(std::string(1000, 'x'));
    std::string out;
    encode_record(m, out);
    const auto slab = slab_of(out);
    std::vector<sdk::message_ptr> decoded;
    REQUIRE(decode_records(slab, 0, slab.size(), 1, decoded).ok());
    CHECK_FALSE(slab.unique()); // the decoded body holds the slab
    std::size_t fragments = 0;
    decoded[0]->body.for_each_fragment([&](const sdk::bytes& f) {
        ++fragments;
        CHECK(f.data() >= slab.data());
        CHECK(f.data() + f.size() <= slab.data() + slab.size());
    });
    CHECK(fragments == 1);
}

TEST_CASE("record codec: truncated or damaged input is refused, never half-decoded", "[unit][storage][codec]")
{
    std::string out;
    encode_record(full_message(), out);
    SECTION("every truncation")
    {
        for (std::size_t len = 0; len < out.size(); ++len) {
            INFO(len);
            const auto slab = slab_of(out.substr(0, len));
            std::vector<sdk::message_ptr> decoded;
            auto st = decode_records(slab, 0, slab.size(), 1, decoded);
            CHECK(st.code() == sdk::errc::corruption);
            CHECK(decoded.empty());
        }
    }
    SECTION("more records asked for than stored")
    {
        const auto slab = slab_of(out);
        std::vector<sdk::message_ptr> decoded;
        CHECK(decode_records(slab, 0, slab.size(), 2, decoded).code() == sdk::errc::corruption);
    }
    SECTION("an unknown format version")
    {
        std::string bad = out;
        bad[1] = 99; // the byte after the length prefix
        const auto slab = slab_of(bad);
        std::vector<sdk::message_ptr> decoded;
        CHECK(decode_records(slab, 0, slab.size(), 1, decoded).code() == sdk::errc::corruption);
    }
    SECTION("a range outside the buffer")
    {
        const auto slab = slab_of(out);
        std::vector<sdk::message_ptr> decoded;
        CHECK(decode_records(slab, 0, slab.size() + 1, 1, decoded).code() == sdk::errc::corruption);
        CHECK(decode_records(slab, 5, 4, 1, decoded).code() == sdk::errc::corruption);
    }
}

TEST_CASE("record codec: peek_record finds each record's end and timestamp", "[unit][storage][codec]")
{
    std::string out;
    std::vector<std::size_t> ends;
    const std::vector<std::int64_t> timestamps{ 5, -1234567890123, std::numeric_limits<std::int64_t>::max() };
    for (auto ts : timestamps) {
        auto m = full_message();
        m.timestamp = sdk::timestamp_ms(ts);
        encode_record(m, out);
        ends.push_back(out.size());
    }
    std::size_t pos = 0;
    for (std::size_t i = 0; i < timestamps.size(); ++i) {
        INFO(i);
        auto e = storage::peek_record(out, pos);
        REQUIRE(e.has_value());
        CHECK(e->end == ends[i]);
        CHECK(e->timestamp == sdk::timestamp_ms(timestamps[i]));
        pos = e->end;
    }
    CHECK_FALSE(storage::peek_record(out, out.size()).has_value()); // nothing left
    CHECK_FALSE(storage::peek_record(out, out.size() + 1).has_value());
    CHECK_FALSE(storage::peek_record(std::string_view(out).substr(0, ends[0] - 1), 0).has_value()); // truncated
    std::string bad = out;
    bad[1] = 99; // the format byte after the first length prefix
    CHECK_FALSE(storage::peek_record(bad, 0).has_value());
}
