// Field tables from bytes: every tag RabbitMQ and its clients send, read and written back
// byte for byte, and malformed tables refused with the right reply code.
#include "field_table.h"

#include <catch2/catch.hpp>

#include <string>

using namespace plexus::protocol::amqp091;

namespace {

std::string encode(const field_table& t)
{
    std::string out;
    wire_writer w(out);
    write_table(w, t);
    return out;
}

field_table decode(const std::string& bytes, std::optional<amqp_error>* error = nullptr)
{
    wire_reader r(bytes);
    auto t = read_table(r);
    if (error) {
        *error = r.error();
    }
    return t;
}

// A table's bytes: 32-bit length, then the entries.
std::string table_bytes(const std::string& entries)
{
    std::string out(4, '\0');
    auto n = static_cast<std::uint32_t>(entries.size());
    out[0] = static_cast<char>(n >> 24);
    out[1] = static_cast<char>(n >> 16);
    out[2] = static_cast<char>(n >> 8);
    out[3] = static_cast<char>(n);
    return out + entries;
}

std::string key(const std::string& k)
{
    return std::string(1, static_cast<char>(k.size())) + k;
}

} // namespace

TEST_CASE("every field type survives a round trip with its tag", "[amqp091][codec]")
{
    field_table nested{ { "inner", field_value::string("v") } };
    field_table t{
        { "t", field_value::boolean(true) },
        { "b", field_value::integer(-5, 'b') },
        { "B", field_value::integer(250, 'B') },
        { "U", field_value::integer(-30000, 'U') },
        { "s", field_value::integer(-2, 's') },
        { "u", field_value::integer(65000, 'u') },
        { "I", field_value::integer(-2000000000, 'I') },
        { "i", field_value::integer(4000000000LL, 'i') },
        { "L", field_value::integer(-(1LL << 40), 'L') },
        { "l", field_value::integer(1LL << 62, 'l') },
        { "f", field_value::floating(1.5, 'f') },
        { "d", field_value::floating(-2.25, 'd') },
        { "D", { 'D', decimal_value{ 2, 12345 } } },
        { "S", field_value::string("long string") },
        { "x", field_value::string(std::string("\x00\x01\xff", 3), 'x') },
        { "T", field_value::integer(1700000000, 'T') },
        { "A", field_value::array({ field_value::integer(1, 'I'), field_value::string("two") }) },
        { "F", field_value::table(nested) },
        { "V", field_value::void_value() },
    };
    std::string bytes = encode(t);
    std::optional<amqp_error> err;
    auto back = decode(bytes, &err);
    REQUIRE_FALSE(err);
    REQUIRE(back == t);
    CHECK(encode(back) == bytes);
}

TEST_CASE("integers are read with the signedness of their tag", "[amqp091][codec]")
{
    std::string entries = key("b") + "b\xff" +                     // int8 -1
                          key("B") + "B\xff" +                     // uint8 255
                          key("s") + std::string("s\xff\xfe", 3) + // int16 -2 (RabbitMQ's 's')
                          key("u") + std::string("u\xff\xfe", 3) + // uint16 65534
                          key("I") + std::string("I\xff\xff\xff\xfb", 5) + key("i") +
                          std::string("i\xff\xff\xff\xfb", 5) + key("l") +
                          std::string("l\xff\xff\xff\xff\xff\xff\xff\xfe", 9);
    auto t = decode(table_bytes(entries));
    REQUIRE(t.size() == 7);
    CHECK(std::get<std::int64_t>(t[0].value.value) == -1);
    CHECK(std::get<std::int64_t>(t[1].value.value) == 255);
    CHECK(std::get<std::int64_t>(t[2].value.value) == -2);
    CHECK(std::get<std::int64_t>(t[3].value.value) == 65534);
    CHECK(std::get<std::int64_t>(t[4].value.value) == -5);
    CHECK(std::get<std::int64_t>(t[5].value.value) == 4294967291LL);
    CHECK(std::get<std::int64_t>(t[6].value.value) == -2);
}

TEST_CASE("a long string is encoded as RabbitMQ's clients expect", "[amqp091][codec]")
{
    field_table t{ { "k", field_value::string("ab") } };
    CHECK(encode(t) == table_bytes(key("k") + std::string("S\0\0\0\x02"
                                                          "ab",
                                                          7)));
    CHECK(encode({}) == std::string(4, '\0'));
}

TEST_CASE("an unknown field type is a syntax error naming the key", "[amqp091][codec][malformed]")
{
    std::optional<amqp_error> err;
    decode(table_bytes(key("weird") + "z\x01"), &err);
    REQUIRE(err);
    CHECK(err->code == reply_code::syntax_error);
    CHECK(err->text.find("'z'") != std::string::npos);
    CHECK(err->text.find("weird") != std::string::npos);

    decode(table_bytes(key("arr") + std::string("A\0\0\0\x02"
                                                "q\x01",
                                                7)),
           &err);
    REQUIRE(err);
    CHECK(err->code == reply_code::syntax_error);
}

TEST_CASE("a truncated table is a frame error", "[amqp091][codec][malformed]")
{
    std::optional<amqp_error> err;
    SECTION("the length runs past the data")
    {
        std::string bytes = table_bytes(key("k") + "t\x01");
        bytes.pop_back();
        decode(bytes, &err);
    }
    SECTION("a value runs past the table's length")
    {
        decode(table_bytes(key("k") + std::string("l\0\0", 3)), &err);
    }
    SECTION("a long string longer than the table")
    {
        decode(table_bytes(key("k") + std::string("S\0\0\0\x09"
                                                  "ab",
                                                  7)),
               &err);
    }
    SECTION("a key longer than the table")
    {
        decode(table_bytes("\x09"
                           "ab"),
               &err);
    }
    SECTION("no length at all")
    {
        decode(std::string("\0\0", 2), &err);
    }
    REQUIRE(err);
    CHECK(err->code == reply_code::frame_error);
}

TEST_CASE("tables nested too deep are refused, not recursed into", "[amqp091][codec][malformed]")
{
    std::string bytes;
    for (int i = 0; i < 40; ++i) {
        bytes = table_bytes(key("n") + "F" + bytes);
    }
    bytes = table_bytes(key("n") + "F" + bytes);
    std::optional<amqp_error> err;
    decode(bytes, &err);
    REQUIRE(err);
    CHECK(err->code == reply_code::syntax_error);
}

TEST_CASE("AMQPLAIN's table has no length prefix", "[amqp091][codec]")
{
    std::string entries =
      key("LOGIN") + std::string("S\0\0\0\x05guest", 10) + key("PASSWORD") + std::string("S\0\0\0\x05guest", 10);
    wire_reader r(entries);
    auto t = read_table_entries(r);
    REQUIRE(r.ok());
    REQUIRE(t.size() == 2);
    CHECK(std::get<std::string>(find_field(t, "PASSWORD")->value) == "guest");
    CHECK(find_field(t, "missing") == nullptr);
}
