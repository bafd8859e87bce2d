// The content header: every basic property round-trips, and a malformed header is refused.
#include "properties.h"

#include <catch2/catch.hpp>

using namespace plexus::protocol::amqp091;

namespace {

std::string encode(std::uint64_t body_size, const basic_properties& p)
{
    std::string out;
    wire_writer w(out);
    write_content_header(w, body_size, p);
    return out;
}

} // namespace

TEST_CASE("every basic property survives a round trip", "[amqp091][codec]")
{
    basic_properties p;
    p.content_type = "application/json";
    p.content_encoding = "gzip";
    p.headers = field_table{ { "h", field_value::integer(7, 'I') } };
    p.delivery_mode = 2;
    p.priority = 9;
    p.correlation_id = "corr";
    p.reply_to = "amq.rabbitmq.reply-to";
    p.expiration = "60000";
    p.message_id = "m-1";
    p.timestamp = 1700000000;
    p.type = "order.created";
    p.user_id = "guest";
    p.app_id = "billing";
    p.cluster_id = "c";
    std::string bytes = encode(12345, p);
    wire_reader r(bytes);
    auto h = read_content_header(r);
    REQUIRE(r.ok());
    CHECK(h.class_id == 60);
    CHECK(h.body_size == 12345);
    CHECK(h.properties == p);
}

TEST_CASE("absent properties cost nothing but the flag word", "[amqp091][codec]")
{
    basic_properties p;
    p.delivery_mode = 1;
    // class 60, weight 0, size 5, flags 0x1000 (delivery-mode), the mode octet.
    CHECK(encode(5, p) == std::string("\x00\x3c\x00\x00\x00\x00\x00\x00\x00\x00\x00\x05\x10\x00\x01", 15));
    CHECK(encode(0, {}).size() == 14);
}

TEST_CASE("a malformed content header is refused with the right code", "[amqp091][codec][malformed]")
{
    basic_properties props;
    props.content_type = "text/plain";
    std::string good = encode(5, props);
    SECTION("a flag bit that names no property")
    {
        std::string bad = good;
        bad[13] = static_cast<char>(bad[13] | 0x02);
        wire_reader r(bad);
        read_content_header(r);
        REQUIRE(r.error());
        CHECK(r.error()->code == reply_code::syntax_error);
    }
    SECTION("a weight other than zero")
    {
        std::string bad = good;
        bad[3] = 1;
        wire_reader r(bad);
        read_content_header(r);
        REQUIRE(r.error());
        CHECK(r.error()->code == reply_code::syntax_error);
    }
    SECTION("a property cut short")
    {
        wire_reader r(std::string_view(good).substr(0, good.size() - 2));
        read_content_header(r);
        REQUIRE(r.error());
        CHECK(r.error()->code == reply_code::frame_error);
    }
}
