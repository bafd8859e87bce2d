// Methods from bytes: every method of the classes the gateway speaks round-trips, bit fields
// pack as the spec says, and unknown or malformed methods get 503, 501 or 502.
#include "methods.h"

#include <catch2/catch.hpp>

#include <utility>

using namespace plexus::protocol::amqp091;

namespace {

std::string encode(const method& m)
{
    std::string out;
    encode_method(out, m);
    return out;
}

method decode_ok(const std::string& payload)
{
    auto d = decode_method(payload);
    if (auto* e = std::get_if<amqp_error>(&d)) {
        FAIL("decode failed: " << e->reply_text());
    }
    return std::get<method>(d);
}

amqp_error decode_error(const std::string& payload)
{
    auto d = decode_method(payload);
    REQUIRE(std::holds_alternative<amqp_error>(d));
    return std::get<amqp_error>(d);
}

template<std::size_t... I>
void round_trip_all(std::index_sequence<I...>)
{
    (
      [] {
          using T = std::variant_alternative_t<I, method>;
          method m = T{};
          std::string bytes = encode(m);
          auto back = decode_ok(bytes);
          INFO(T::name);
          CHECK(back.index() == I);
          CHECK(encode(back) == bytes);
          CHECK(id_of(back) == T::id);
      }(),
      ...);
}

} // namespace

TEST_CASE("every method round-trips with its class and method id", "[amqp091][codec]")
{
    round_trip_all(std::make_index_sequence<std::variant_size_v<method>>());
    CHECK(describe(queue_declare::id) == "queue.declare");
    CHECK(describe(method_id{ 50, 99 }) == "class 50 method 99");
}

TEST_CASE("arguments keep their values", "[amqp091][codec]")
{
    queue_declare q;
    q.queue = "orders";
    q.durable = true;
    q.auto_delete = true;
    q.arguments = { { "x-max-length", field_value::integer(10, 'I') } };
    auto back = std::get<queue_declare>(decode_ok(encode(q)));
    CHECK(back.queue == "orders");
    CHECK_FALSE(back.passive);
    CHECK(back.durable);
    CHECK_FALSE(back.exclusive);
    CHECK(back.auto_delete);
    CHECK_FALSE(back.no_wait);
    CHECK(back.arguments == q.arguments);

    basic_deliver d;
    d.consumer_tag = "ctag";
    d.delivery_tag = 1ull << 40;
    d.redelivered = true;
    d.exchange = "x";
    d.routing_key = "k";
    auto dd = std::get<basic_deliver>(decode_ok(encode(d)));
    CHECK(dd.delivery_tag == 1ull << 40);
    CHECK(dd.redelivered);
    CHECK(dd.routing_key == "k");
}

TEST_CASE("consecutive bits share one octet, least significant first", "[amqp091][codec]")
{
    queue_declare q;
    q.passive = true;
    q.exclusive = true;
    q.no_wait = true;
    std::string bytes = encode(q);
    // ids (4), ticket (2), empty name (1), the bit octet, empty table (4)
    REQUIRE(bytes.size() == 12);
    CHECK(static_cast<unsigned char>(bytes[7]) == 0x15);

    basic_nack n;
    n.delivery_tag = 3;
    n.multiple = true;
    n.requeue = false;
    CHECK(encode(n) == std::string("\x00\x3c\x00\x78\x00\x00\x00\x00\x00\x00\x00\x03\x01", 13));
}

TEST_CASE("connection.tune is encoded as the spec lays it out", "[amqp091][codec]")
{
    connection_tune t{ 2047, 131072, 60 };
    CHECK(encode(t) == std::string("\x00\x0a\x00\x1e\x07\xff\x00\x02\x00\x00\x00\x3c", 12));
}

TEST_CASE("an unknown class or method is command-invalid with its ids", "[amqp091][codec][malformed]")
{
    auto e = decode_error(std::string("\x00\x32\x00\x63", 4));
    CHECK(e.code == reply_code::command_invalid);
    CHECK(e.class_id == 50);
    CHECK(e.method_id == 99);
    e = decode_error(std::string("\x03\xe7\x00\x0a", 4));
    CHECK(e.code == reply_code::command_invalid);
}

TEST_CASE("truncated arguments are a frame error naming the method", "[amqp091][codec][malformed]")
{
    queue_bind b;
    b.queue = "q";
    b.exchange = "amq.direct";
    std::string bytes = encode(b);
    for (std::size_t cut = 4; cut < bytes.size(); ++cut) {
        auto e = decode_error(bytes.substr(0, cut));
        INFO("cut at " << cut);
        CHECK(e.code == reply_code::frame_error);
        CHECK(e.class_id == 50);
        CHECK(e.method_id == 20);
        CHECK(e.text.find("queue.bind") != std::string::npos);
    }
    CHECK(decode_error(std::string("\x00", 1)).code == reply_code::frame_error);
    CHECK(decode_error("").code == reply_code::frame_error);
}

TEST_CASE("a bad table inside a method is a syntax error", "[amqp091][codec][malformed]")
{
    queue_declare q;
    q.queue = "q";
    q.arguments = { { "x-bad", field_value::boolean(true) } };
    std::string bytes = encode(q);
    auto tag_at = bytes.find("x-bad") + 5;
    bytes[tag_at] = 'Q';
    auto e = decode_error(bytes);
    CHECK(e.code == reply_code::syntax_error);
    CHECK(e.text.find("x-bad") != std::string::npos);
}

TEST_CASE("a method frame carries ids and arguments between header and end octet", "[amqp091][codec]")
{
    std::string out;
    append_method_frame(out, 5, channel_open_ok{});
    CHECK(out == std::string("\x01\x00\x05\x00\x00\x00\x08\x00\x14\x00\x0b\x00\x00\x00\x00\xce", 16));
    CHECK(has_content(basic_publish::id));
    CHECK_FALSE(has_content(basic_ack::id));
}
