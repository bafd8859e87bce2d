// MQTT 5 properties: every type round-trips, and the reader refuses what the spec forbids.
#include "properties.h"

#include <catch2/catch.hpp>

using namespace plexus::protocol::mqtt;

namespace {

properties round_trip(const properties& p, property_context context)
{
    std::string out;
    wire_writer w(out);
    write_properties(w, p);
    CHECK(out.size() == properties_size(p));
    wire_reader r(out);
    auto back = read_properties(r, context);
    INFO(r.error_text());
    REQUIRE(r.ok());
    CHECK(r.remaining() == 0);
    return back;
}

/// A property list holding exactly `body` (its length prefix added).
reason_code refusal(const std::string& body, property_context context)
{
    std::string in;
    wire_writer w(in);
    w.varint(static_cast<std::uint32_t>(body.size()));
    in += body;
    wire_reader r(in);
    (void)read_properties(r, context);
    REQUIRE_FALSE(r.ok());
    return r.error();
}

} // namespace

TEST_CASE("publish properties of every type round-trip", "[mqtt][properties]")
{
    properties p;
    p.payload_format_indicator = 1;
    p.message_expiry_interval = 3600;
    p.content_type = "application/json";
    p.response_topic = "replies/1";
    p.correlation_data = std::string("\x00\x01\xff", 3);
    p.topic_alias = 7;
    p.subscription_identifiers = { 1, 268435455 };
    p.user_properties = { { "k", "v1" }, { "k", "v2" }, { "", "" } };
    CHECK(round_trip(p, packet_type::publish) == p);
}

TEST_CASE("connack properties round-trip", "[mqtt][properties]")
{
    properties p;
    p.session_expiry_interval = 0xFFFFFFFF;
    p.receive_maximum = 100;
    p.maximum_qos = 1;
    p.retain_available = 1;
    p.maximum_packet_size = 1 << 20;
    p.assigned_client_identifier = "plexus-1";
    p.topic_alias_maximum = 16;
    p.reason_string = "ok";
    p.wildcard_subscription_available = 1;
    p.subscription_identifier_available = 1;
    p.shared_subscription_available = 1;
    p.server_keep_alive = 30;
    p.response_information = "ri";
    p.server_reference = "elsewhere";
    p.authentication_method = "m";
    p.authentication_data = "d";
    CHECK(round_trip(p, packet_type::connack) == p);
}

TEST_CASE("will properties include the will delay interval", "[mqtt][properties]")
{
    properties p;
    p.will_delay_interval = 5;
    p.content_type = "text/plain";
    CHECK(round_trip(p, will_properties) == p);
}

TEST_CASE("an empty property list is one zero byte", "[mqtt][properties]")
{
    CHECK(properties_size(properties{}) == 1);
}

TEST_CASE("a property may appear at most once, except user properties and subscription ids", "[mqtt][properties]")
{
    // Content type twice.
    CHECK(refusal(std::string("\x03\x00\x01"
                              "a"
                              "\x03\x00\x01"
                              "b",
                              8),
                  packet_type::publish) == reason_code::protocol_error);
    // User property twice: fine.
    std::string two_users = std::string("\x26\x00\x01k\x00\x01v", 7) + std::string("\x26\x00\x01k\x00\x01w", 7);
    std::string in;
    wire_writer w(in);
    w.varint(static_cast<std::uint32_t>(two_users.size()));
    in += two_users;
    wire_reader r(in);
    auto p = read_properties(r, packet_type::publish);
    CHECK(r.ok());
    CHECK(p.user_properties.size() == 2);
}

TEST_CASE("properties out of place, unknown, out of range or overrunning are refused", "[mqtt][properties]")
{
    // Session expiry interval in a PUBLISH.
    CHECK(refusal(std::string("\x11\x00\x00\x00\x01", 5), packet_type::publish) == reason_code::protocol_error);
    // Will delay interval is only a will property.
    CHECK(refusal(std::string("\x18\x00\x00\x00\x01", 5), packet_type::connect) == reason_code::protocol_error);
    // Unknown identifier.
    CHECK(refusal(std::string("\x7f\x00", 2), packet_type::publish) == reason_code::malformed_packet);
    // Payload format indicator 2.
    CHECK(refusal(std::string("\x01\x02", 2), packet_type::publish) == reason_code::protocol_error);
    // Receive maximum 0.
    CHECK(refusal(std::string("\x21\x00\x00", 3), packet_type::connect) == reason_code::protocol_error);
    // Maximum packet size 0.
    CHECK(refusal(std::string("\x27\x00\x00\x00\x00", 5), packet_type::connect) == reason_code::protocol_error);
    // Subscription identifier 0.
    CHECK(refusal(std::string("\x0b\x00", 2), packet_type::subscribe) == reason_code::protocol_error);
    // A string running past the list.
    CHECK(refusal(std::string("\x03\x00\x09"
                              "ab",
                              5),
                  packet_type::publish) == reason_code::malformed_packet);
    // A string property that is not UTF-8.
    CHECK(refusal(std::string("\x03\x00\x02\xc0\xaf", 5), packet_type::publish) == reason_code::malformed_packet);

    // A length longer than the packet.
    std::string in("\x05\x01", 2);
    wire_reader r(in);
    (void)read_properties(r, packet_type::publish);
    CHECK(r.error() == reason_code::malformed_packet);
}
