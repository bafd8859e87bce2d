// The session against the SDK fakes: framing, ApiVersions, response order and the requests
// that close the connection.
#include "generated/api_versions.h"
#include "session_fixture.h"

#include <catch2/catch.hpp>

#include <string>

using namespace plexus::protocol::kafka;
using namespace plexus::protocol::kafka::testing;
using namespace std::string_literals;

namespace {

generated::api_versions_response read_api_versions(const std::string& response,
                                                   std::int16_t version,
                                                   std::int32_t& corr)
{
    wire_reader r(response);
    generated::response_header h;
    h.read(r, 0); // always header v0
    corr = h.correlation_id;
    generated::api_versions_response m;
    m.read(r, version);
    REQUIRE(r.ok());
    CHECK(r.remaining() == 0);
    return m;
}

} // namespace

TEST_CASE("ApiVersions v0 and v3 list exactly the served APIs, in request order", "[kafka][session]")
{
    fixture f;
    f.start();
    generated::api_versions_request q3;
    q3.client_software_name = "test";
    q3.client_software_version = "1";
    wire_writer body3;
    q3.write(body3, 3);
    // Two pipelined requests, the second split across two reads.
    auto both = request(18, 0, 1, false, "") + request(18, 3, 2, true, body3.data());
    REQUIRE(f.feed(both.substr(0, both.size() - 3)).ok());
    REQUIRE(f.feed(both.substr(both.size() - 3)).ok());
    auto rs = responses(f.conn.written());
    REQUIRE(rs.size() == 2);
    std::int32_t corr = 0;
    auto v0 = read_api_versions(rs[0], 0, corr);
    CHECK(corr == 1);
    auto v3 = read_api_versions(rs[1], 3, corr);
    CHECK(corr == 2);
    CHECK(v0.error_code == 0);
    CHECK(v0.api_keys == v3.api_keys);
    bool has_produce = false;
    bool has_join_group = false;
    for (const auto& k : v3.api_keys) {
        has_join_group |= k.api_key == 11;
        if (k.api_key == 0) {
            has_produce = true;
            CHECK(k.min_version == 3);
            CHECK(k.max_version == 9);
        }
        CHECK(k.api_key != 24); // AddPartitionsToTxn: transactions are not served, so not advertised
    }
    CHECK(has_produce);
    CHECK(has_join_group);
    CHECK_FALSE(f.conn.closed());
}

TEST_CASE("an unsupported ApiVersions version gets UNSUPPORTED_VERSION in the v0 layout", "[kafka][session]")
{
    fixture f;
    f.start();
    REQUIRE(f.feed(request(18, 9, 5, true, "\x00\x00\x00"s)).ok());
    auto rs = responses(f.conn.written());
    REQUIRE(rs.size() == 1);
    std::int32_t corr = 0;
    auto m = read_api_versions(rs[0], 0, corr);
    CHECK(corr == 5);
    CHECK(m.error_code == 35);
    CHECK_FALSE(m.api_keys.empty());
}

TEST_CASE("requests that cannot be served close the connection", "[kafka][session]")
{
    fixture f;
    f.start();
    SECTION("a size below the smallest header")
    {
        CHECK_FALSE(f.feed("\x00\x00\x00\x02\x00\x00"s).ok());
    }
    SECTION("a negative size")
    {
        CHECK_FALSE(f.feed("\xff\xff\xff\xff"s).ok());
    }
    SECTION("an oversized request, refused before its body arrives")
    {
        CHECK_FALSE(f.feed("\x00\x01\x00\x00"s).ok());
    }
    SECTION("an unknown API key")
    {
        CHECK_FALSE(f.feed(request(999, 0, 1, false, "")).ok());
    }
    SECTION("an unsupported version of Produce")
    {
        CHECK_FALSE(f.feed(request(0, 1, 1, false, "")).ok());
    }
    SECTION("a truncated Metadata body")
    {
        CHECK_FALSE(f.feed(request(3, 1, 1, false, "\x00\x00\x00\x05\x00"s)).ok());
    }
    SECTION("a truncated header")
    {
        CHECK_FALSE(f.feed(frame("\x00\x12\x00\x00\x00\x00\x00\x01\x00\x09"s)).ok());
    }
    CHECK(f.conn.written().empty());
}

TEST_CASE("a partial request waits for the rest", "[kafka][session]")
{
    fixture f;
    f.start();
    auto q = request(18, 0, 1, false, "");
    REQUIRE(f.feed(q.substr(0, 5)).ok());
    CHECK(f.conn.written().empty());
    REQUIRE(f.feed(q.substr(5)).ok());
    CHECK(responses(f.conn.written()).size() == 1);
}

TEST_CASE("while the client reads no responses its requests wait, in order", "[kafka][session][backpressure]")
{
    fixture f;
    f.start();
    CHECK_FALSE(f.conn.reading_paused());
    f.conn.set_above_high_watermark(true);
    REQUIRE(f.feed(request(18, 0, 1, false, "") + request(18, 0, 2, false, "")).ok());
    CHECK(f.conn.written().empty());
    // The kernel stops reading: TCP slows the client down instead of the broker buffering.
    CHECK(f.conn.reading_paused());
    // Below the watermark again, but before on_writable(): a new request queues behind them.
    f.conn.set_above_high_watermark(false);
    REQUIRE(f.feed(request(18, 0, 3, false, "")).ok());
    CHECK(f.conn.written().empty());
    f.s->on_writable();
    f.exec.run_all();
    CHECK_FALSE(f.conn.reading_paused()); // nothing held any more: reading again
    auto rs = responses(f.conn.take_written());
    REQUIRE(rs.size() == 3);
    for (std::int32_t i = 0; i < 3; ++i) {
        std::int32_t corr = 0;
        read_api_versions(rs[static_cast<std::size_t>(i)], 0, corr);
        CHECK(corr == i + 1);
    }
    // Nothing held: requests are handled as they come.
    REQUIRE(f.feed(request(18, 0, 4, false, "")).ok());
    CHECK(responses(f.conn.take_written()).size() == 1);
    CHECK_FALSE(f.conn.closed());
}

TEST_CASE("on_writable stops again when the queue fills up once more", "[kafka][session][backpressure]")
{
    fixture f;
    f.start();
    f.conn.set_above_high_watermark(true);
    REQUIRE(f.feed(request(18, 0, 1, false, "") + request(18, 0, 2, false, "")).ok());
    // The fake's watermark stays where a test puts it: high, on_writable() handles nothing.
    f.s->on_writable();
    CHECK(f.conn.written().empty());
    CHECK(f.conn.reading_paused()); // still holding: still not reading
    f.conn.set_above_high_watermark(false);
    f.s->on_writable();
    CHECK(responses(f.conn.written()).size() == 2);
    CHECK_FALSE(f.conn.reading_paused());
}

TEST_CASE("a held request that cannot be served closes the connection when its turn comes",
          "[kafka][session][backpressure]")
{
    fixture f;
    f.start();
    f.conn.set_above_high_watermark(true);
    REQUIRE(f.feed(request(18, 0, 1, false, "") + request(999, 0, 2, false, "")).ok());
    CHECK_FALSE(f.conn.closed());
    f.conn.set_above_high_watermark(false);
    f.s->on_writable();
    f.exec.run_all();
    CHECK(responses(f.conn.written()).size() == 1); // the request before it is answered
    REQUIRE(f.conn.closed());
    CHECK(f.conn.closed()->code() == sdk::errc::protocol_error);
}

TEST_CASE("more than 16 MiB of waiting requests close the connection", "[kafka][session][backpressure]")
{
    fixture f;
    f.start();
    f.conn.set_above_high_watermark(true);
    // Held frames are not decoded until their turn: any 4000 bytes make one.
    const auto one = frame(std::string(4000, '\0'));
    std::size_t fed = 0;
    sdk::status st;
    while (st.ok() && fed < 5000) {
        st = f.feed(one);
        ++fed;
    }
    REQUIRE_FALSE(st.ok());
    CHECK(fed * 4000 > (16u << 20));
    CHECK(fed * 4000 < (16u << 20) + 8000);
    CHECK(std::string(st.message()).find("reads no responses") != std::string::npos);
    CHECK(f.conn.written().empty());
}
