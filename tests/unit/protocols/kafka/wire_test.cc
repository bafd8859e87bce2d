// The wire primitives against encodings worked out by hand from the Kafka protocol guide.
#include "wire/wire_reader.h"
#include "wire/wire_writer.h"

#include <catch2/catch.hpp>

#include <string>

using namespace plexus::protocol::kafka;
using namespace std::string_literals;

TEST_CASE("integers are big-endian and varints are little-endian base 128", "[kafka][wire]")
{
    wire_writer w;
    w.int16(0x0102);
    w.int32(-2);
    w.uvarint(300);
    w.varint(-1);
    w.varint(1);
    CHECK(w.data() == "\x01\x02\xff\xff\xff\xfe\xac\x02\x01\x02"s);
    wire_reader r(w.data());
    CHECK(r.int16() == 0x0102);
    CHECK(r.int32() == -2);
    CHECK(r.uvarint() == 300);
    CHECK(r.varint() == -1);
    CHECK(r.varint() == 1);
    CHECK(r.ok());
    CHECK(r.remaining() == 0);
}

TEST_CASE("classic and compact strings, with null", "[kafka][wire]")
{
    wire_writer w;
    w.string(false, "ab");
    w.string(true, "ab");
    w.nullable_string(false, std::nullopt);
    w.nullable_string(true, std::nullopt);
    CHECK(w.data() == "\x00\x02"
                      "ab"
                      "\x03"
                      "ab"
                      "\xff\xff"
                      "\x00"s);
    wire_reader r(w.data());
    CHECK(r.string(false) == "ab");
    CHECK(r.string(true) == "ab");
    CHECK_FALSE(r.nullable_string(false).has_value());
    CHECK_FALSE(r.nullable_string(true).has_value());
    CHECK(r.ok());
}

TEST_CASE("reading past the end fails and stays failed", "[kafka][wire]")
{
    const std::string bytes = "\x00\x05"
                              "abc"s;
    wire_reader r(bytes);
    CHECK(r.string(false).empty());
    CHECK_FALSE(r.ok());
    CHECK(r.int8() == 0);
    CHECK_FALSE(r.ok());
}

TEST_CASE("an array count larger than the bytes left fails without allocating it", "[kafka][wire]")
{
    const std::string huge = "\x7f\xff\xff\xff"s, minus_one = "\xff\xff\xff\xff"s;
    wire_reader r(huge);
    CHECK(r.array_length(false, false) == -1);
    CHECK_FALSE(r.ok());
    wire_reader null_array(minus_one);
    CHECK(null_array.array_length(false, true) == -1);
    CHECK(null_array.ok());
    wire_reader not_nullable(minus_one);
    CHECK(not_nullable.array_length(false, false) == -1);
    CHECK_FALSE(not_nullable.ok());
}

TEST_CASE("a varint longer than ten bytes is malformed", "[kafka][wire]")
{
    const std::string bytes(11, '\xff');
    wire_reader r(bytes);
    r.uvarlong();
    CHECK_FALSE(r.ok());
}

TEST_CASE("tagged fields are written in tag order and unknown ones are skipped", "[kafka][wire]")
{
    tagged_field_writer tags;
    tags.add(5).int8(7);
    tags.add(1).int16(2);
    wire_writer w;
    tags.write_to(w);
    CHECK(w.data() == "\x02"
                      "\x01\x02\x00\x02"
                      "\x05\x01\x07"s);
    wire_reader r(w.data());
    std::int16_t one = 0;
    r.tagged_fields([&](std::uint32_t tag, wire_reader& sub) {
        if (tag != 1) {
            return false;
        }
        one = sub.int16();
        return true;
    });
    CHECK(r.ok());
    CHECK(one == 2);
    CHECK(r.remaining() == 0);
}

TEST_CASE("a tagged field whose size runs past the end is malformed", "[kafka][wire]")
{
    const std::string bytes = "\x01\x00\x09\x01"s;
    wire_reader r(bytes);
    r.tagged_fields([](std::uint32_t, wire_reader&) { return false; });
    CHECK_FALSE(r.ok());
}
