// MQTT's UTF-8 rule: well-formed only, and no U+0000 in strings.
#include "utf8.h"

#include <catch2/catch.hpp>

#include <string>

using plexus::protocol::mqtt::valid_mqtt_utf8;

TEST_CASE("well-formed UTF-8 is accepted", "[mqtt][codec]")
{
    CHECK(valid_mqtt_utf8(""));
    CHECK(valid_mqtt_utf8("sensors/temp"));
    CHECK(valid_mqtt_utf8("caf\xc3\xa9"));      // é
    CHECK(valid_mqtt_utf8("\xe2\x82\xac"));     // €
    CHECK(valid_mqtt_utf8("\xf0\x9f\x98\x80")); // U+1F600
    CHECK(valid_mqtt_utf8("\xef\xbb\xbf"
                          "bom")); // a BOM is a character like any other
}

TEST_CASE("ill-formed UTF-8 and U+0000 are refused", "[mqtt][codec]")
{
    CHECK_FALSE(valid_mqtt_utf8(std::string("a\0b", 3)));
    CHECK(valid_mqtt_utf8(std::string("a\0b", 3), true)); // payloads may carry it
    CHECK_FALSE(valid_mqtt_utf8("\xc0\xaf"));             // overlong '/'
    CHECK_FALSE(valid_mqtt_utf8("\xe0\x80\xaf"));         // overlong, three bytes
    CHECK_FALSE(valid_mqtt_utf8("\xed\xa0\x80"));         // U+D800, a surrogate
    CHECK_FALSE(valid_mqtt_utf8("\xf4\x90\x80\x80"));     // above U+10FFFF
    CHECK_FALSE(valid_mqtt_utf8("\x80"));                 // a lone continuation byte
    CHECK_FALSE(valid_mqtt_utf8("\xc3"));                 // truncated
    CHECK_FALSE(valid_mqtt_utf8("\xe2\x28\xa1"));         // bad continuation
    CHECK_FALSE(valid_mqtt_utf8("\xff"));
}
