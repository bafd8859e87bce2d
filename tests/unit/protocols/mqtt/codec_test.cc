// Packets from bytes and back, for 3.1.1 and 5.0; every malformed case the decoder sees
// alone gets the reason code the session closes with.
#include "codec.h"

#include <catch2/catch.hpp>

using namespace plexus::protocol::mqtt;
using plexus::sdk::buffer_chain;
using plexus::sdk::bytes;

namespace {

/// Cuts one packet off `wire` (which must hold exactly one).
raw_packet cut(const std::string& wire, std::uint32_t max = max_variable_byte_integer)
{
    buffer_chain in(bytes::copy_of(wire));
    auto step = next_packet(in, max);
    REQUIRE(std::holds_alternative<raw_packet>(step));
    CHECK(in.empty());
    return std::get<raw_packet>(std::move(step));
}

std::string fixed(std::uint8_t first, const std::string& body)
{
    std::string out;
    wire_writer w(out);
    w.u8(first);
    w.varint(static_cast<std::uint32_t>(body.size()));
    return out + body;
}

template<class P>
P decode_as(const std::string& wire, protocol_version v)
{
    auto d = decode_packet(cut(wire), v);
    if (auto* e = std::get_if<decode_error>(&d)) {
        FAIL(e->text);
    }
    auto& p = std::get<packet>(d);
    REQUIRE(std::holds_alternative<P>(p));
    return std::get<P>(std::move(p));
}

decode_error refused(const std::string& wire, protocol_version v)
{
    auto d = decode_packet(cut(wire), v);
    REQUIRE(std::holds_alternative<decode_error>(d));
    return std::get<decode_error>(d);
}

decode_error refused_connect(const std::string& wire)
{
    auto d = decode_connect(cut(wire));
    REQUIRE(std::holds_alternative<decode_error>(d));
    return std::get<decode_error>(d);
}

connect_packet connect_of(const std::string& wire)
{
    auto d = decode_connect(cut(wire));
    if (auto* e = std::get_if<decode_error>(&d)) {
        FAIL(e->text);
    }
    return std::get<connect_packet>(std::get<packet>(d));
}

std::string encoded(const packet& p, protocol_version v)
{
    return encode_packet(p, v).to_string();
}

constexpr auto v311 = protocol_version::v311;
constexpr auto v5 = protocol_version::v5;

} // namespace

TEST_CASE("whole packets are cut off however the input is fragmented", "[mqtt][codec]")
{
    const std::string one = fixed(0xC0, "");                    // PINGREQ
    const std::string two = fixed(0x30, std::string(200, 'x')); // a two-byte remaining length
    const std::string all = one + two;
    buffer_chain in;
    std::size_t got = 0;
    for (char c : all) {
        in.append(bytes::copy_of(std::string(1, c)));
        auto step = next_packet(in, 1 << 20);
        REQUIRE_FALSE(std::holds_alternative<decode_error>(step));
        if (auto* p = std::get_if<raw_packet>(&step)) {
            ++got;
            CHECK(p->wire_size == (got == 1 ? one.size() : two.size()));
        }
    }
    CHECK(got == 2);
    CHECK(in.empty());
}

TEST_CASE("the remaining length is at most four bytes and the packet at most the maximum size", "[mqtt][codec]")
{
    buffer_chain five(bytes::copy_of(std::string("\x30\xff\xff\xff\xff\x01", 6)));
    auto step = next_packet(five, max_variable_byte_integer);
    REQUIRE(std::holds_alternative<decode_error>(step));
    CHECK(std::get<decode_error>(step).code == reason_code::malformed_packet);

    // Four bytes is the most: 268 435 455, refused only because it is over the maximum.
    buffer_chain big(bytes::copy_of(std::string("\x30\xff\xff\xff\x7f", 5)));
    step = next_packet(big, 1024);
    REQUIRE(std::holds_alternative<decode_error>(step));
    CHECK(std::get<decode_error>(step).code == reason_code::packet_too_large);

    buffer_chain partial(bytes::copy_of(std::string("\x30\xff\xff", 3)));
    CHECK(std::holds_alternative<std::monostate>(next_packet(partial, max_variable_byte_integer)));
}

TEST_CASE("CONNECT of 3.1, 3.1.1 and 5.0 round-trips", "[mqtt][codec]")
{
    connect_packet c;
    c.version = v5;
    c.clean_start = false;
    c.keep_alive = 30;
    c.props.session_expiry_interval = 60;
    c.props.receive_maximum = 10;
    c.props.user_properties = { { "a", "b" } };
    c.client_id = "dev-1";
    will_message w;
    w.topic = "dev/1/status";
    w.payload = "gone";
    w.qos = 2;
    w.retain = true;
    w.props.will_delay_interval = 5;
    w.props.content_type = "text/plain";
    c.will = w;
    c.username = "guest";
    c.password = std::string("gu\0est", 6);
    CHECK(connect_of(encoded(c, v5)) == c);

    c.version = v311;
    c.props = {};
    c.will->props = {};
    CHECK(connect_of(encoded(c, v311)) == c);

    c.version = protocol_version::v31;
    CHECK(connect_of(encoded(c, v311)) == c);
}

TEST_CASE("CONNECT is refused with the reason code for what is wrong", "[mqtt][codec]")
{
    connect_packet c;
    c.client_id = "x";
    std::string good = encoded(c, v311);
    // body: 00 04 'MQTT' 04 flags(02) 00 00 00 01 'x'
    auto with_flags = [&](std::uint8_t flags) {
        std::string w = good;
        w[9] = static_cast<char>(flags);
        return w;
    };
    CHECK(refused_connect(with_flags(0x03)).code == reason_code::malformed_packet); // reserved bit
    CHECK(refused_connect(with_flags(0x0A)).code == reason_code::malformed_packet); // will QoS without will
    CHECK(refused_connect(with_flags(0x22)).code == reason_code::malformed_packet); // will retain without will
    CHECK(refused_connect(with_flags(0x42)).code == reason_code::malformed_packet); // password without user (3.1.1)

    std::string level6 = good;
    level6[8] = 6;
    CHECK(refused_connect(level6).code == reason_code::unsupported_protocol_version);
    std::string name = good;
    name[4] = 'X';
    CHECK(refused_connect(name).code == reason_code::malformed_packet);

    connect_packet bad_id;
    bad_id.client_id = std::string("a\0b", 3);
    CHECK(refused_connect(encoded(bad_id, v311)).code == reason_code::malformed_packet);
    connect_packet bad_utf8;
    bad_utf8.client_id = "\xc0\xaf";
    CHECK(refused_connect(encoded(bad_utf8, v311)).code == reason_code::malformed_packet);

    connect_packet wild_will;
    wild_will.will = will_message{ "a/#", "x", 0, false, {} };
    CHECK(refused_connect(encoded(wild_will, v311)).code == reason_code::topic_name_invalid);

    CHECK(refused_connect(fixed(0x10, good.substr(2) + "x")).code == reason_code::malformed_packet); // trailing
    CHECK(refused_connect(fixed(0x30,
                                std::string("\x00\x01"
                                            "a",
                                            3)))
            .code == reason_code::protocol_error);
}

TEST_CASE("PUBLISH of every QoS round-trips with its properties", "[mqtt][codec]")
{
    for (auto v : { v311, v5 }) {
        for (std::uint8_t qos = 0; qos < 3; ++qos) {
            publish_packet p;
            p.qos = qos;
            p.retain = qos == 1;
            p.dup = qos == 2;
            p.topic = "a/b";
            p.packet_id = qos == 0 ? 0 : 42;
            if (v == v5) {
                p.props.content_type = "text/plain";
                p.props.user_properties = { { "k", "v" } };
            }
            p.payload = buffer_chain::copy_of("hello");
            const auto wire = encoded(p, v);
            CHECK(wire.size() == publish_wire_size(p, v));
            auto back = decode_as<publish_packet>(wire, v);
            CHECK(back.qos == qos);
            CHECK(back.retain == p.retain);
            CHECK(back.dup == p.dup);
            CHECK(back.topic == "a/b");
            CHECK(back.packet_id == p.packet_id);
            CHECK(back.props == p.props);
            CHECK(back.payload.to_string() == "hello");
        }
    }
}

TEST_CASE("malformed PUBLISH packets are refused", "[mqtt][codec]")
{
    const std::string topic("\x00\x03"
                            "a/b",
                            5);
    CHECK(refused(fixed(0x36, topic + std::string("\x00\x01", 2)), v311).code ==
          reason_code::malformed_packet);                                           // QoS 3
    CHECK(refused(fixed(0x38, topic), v311).code == reason_code::malformed_packet); // DUP on QoS 0
    CHECK(refused(fixed(0x32, topic + std::string("\x00\x00", 2)), v311).code == reason_code::protocol_error); // id 0
    CHECK(refused(fixed(0x30,
                        std::string("\x00\x03"
                                    "a/#",
                                    5)),
                  v311)
            .code == reason_code::topic_name_invalid);
    CHECK(refused(fixed(0x30, std::string("\x00\x00", 2)), v311).code == reason_code::topic_name_invalid);
    CHECK(refused(fixed(0x30, std::string("\x00\x02\xc3\x28", 4)), v311).code == reason_code::malformed_packet);
    CHECK(refused(fixed(0x30,
                        std::string("\x00\x05"
                                    "a",
                                    3)),
                  v311)
            .code == reason_code::malformed_packet);
    // v5: an empty topic needs a topic alias; a client may not send subscription ids.
    CHECK(refused(fixed(0x30, std::string("\x00\x00\x00", 3)), v5).code == reason_code::topic_name_invalid);
    auto aliased = decode_as<publish_packet>(fixed(0x30, std::string("\x00\x00\x03\x23\x00\x01", 6)), v5);
    CHECK(aliased.props.topic_alias == 1);
    CHECK(refused(fixed(0x30, topic + std::string("\x02\x0b\x01", 3)), v5).code == reason_code::protocol_error);
    // Payload format indicator 1 with a payload that is not UTF-8.
    CHECK(refused(fixed(0x30, topic + std::string("\x02\x01\x01\xff", 4)), v5).code ==
          reason_code::payload_format_invalid);
}

TEST_CASE("the acks round-trip, with reason codes in v5 only", "[mqtt][codec]")
{
    for (auto type : { packet_type::puback, packet_type::pubrec, packet_type::pubrel, packet_type::pubcomp }) {
        ack_packet a;
        a.type = type;
        a.packet_id = 513;
        CHECK(encoded(a, v311).size() == 4);
        CHECK(encoded(a, v5).size() == 4); // success without properties is left out
        auto back = decode_as<ack_packet>(encoded(a, v311), v311);
        CHECK(back.type == type);
        CHECK(back.packet_id == 513);

        a.reason = reason_code::no_matching_subscribers;
        a.props.reason_string = "nobody";
        back = decode_as<ack_packet>(encoded(a, v5), v5);
        CHECK(back.reason == reason_code::no_matching_subscribers);
        CHECK(back.props.reason_string == "nobody");
    }
    // PUBREL needs flags 0b0010; the others 0.
    CHECK(refused(fixed(0x60, std::string("\x00\x01", 2)), v311).code == reason_code::malformed_packet);
    CHECK(refused(fixed(0x42, std::string("\x00\x01", 2)), v311).code == reason_code::malformed_packet);
    CHECK(refused(fixed(0x40, std::string("\x00\x01\x00", 3)), v311).code == reason_code::malformed_packet);
}

TEST_CASE("SUBSCRIBE and UNSUBSCRIBE round-trip with v5 options", "[mqtt][codec]")
{
    subscribe_packet s;
    s.packet_id = 7;
    s.props.subscription_identifiers = { 99 };
    s.topics = { { "a/+", 1, true, true, 2 }, { "$share/g/b/#", 2, false, false, 0 } };
    auto back = decode_as<subscribe_packet>(encoded(s, v5), v5);
    CHECK(back.packet_id == 7);
    CHECK(back.props.subscription_identifiers == std::vector<std::uint32_t>{ 99 });
    CHECK(back.topics == s.topics);

    unsubscribe_packet u;
    u.packet_id = 8;
    u.filters = { "a/+", "b" };
    auto ub = decode_as<unsubscribe_packet>(encoded(u, v311), v311);
    CHECK(ub.filters == u.filters);
}

TEST_CASE("malformed SUBSCRIBE and UNSUBSCRIBE are refused", "[mqtt][codec]")
{
    const std::string id("\x00\x01", 2);
    CHECK(refused(fixed(0x82, id), v311).code == reason_code::protocol_error); // no filter
    CHECK(refused(fixed(0x82,
                        id + std::string("\x00\x01"
                                         "a"
                                         "\x04",
                                         4)),
                  v311)
            .code == reason_code::malformed_packet); // reserved option bit in 3.1.1 (no local is v5)
    CHECK(refused(fixed(0x82,
                        id + std::string("\x00"
                                         "\x00\x01"
                                         "a"
                                         "\xc0",
                                         5)),
                  v5)
            .code == reason_code::malformed_packet); // reserved bits 6-7
    CHECK(refused(fixed(0x82,
                        id + std::string("\x00"
                                         "\x00\x01"
                                         "a"
                                         "\x30",
                                         5)),
                  v5)
            .code == reason_code::protocol_error); // retain handling 3
    CHECK(refused(fixed(0x82,
                        id + std::string("\x00\x01"
                                         "a"
                                         "\x03",
                                         4)),
                  v311)
            .code == reason_code::malformed_packet); // QoS 3
    CHECK(refused(fixed(0x80,
                        id + std::string("\x00\x01"
                                         "a"
                                         "\x00",
                                         4)),
                  v311)
            .code == reason_code::malformed_packet);                           // flags must be 0b0010
    CHECK(refused(fixed(0xA2, id), v311).code == reason_code::protocol_error); // UNSUBSCRIBE without filter
    CHECK(refused(fixed(0x82,
                        id + std::string("\x04\x0b\x01\x0b\x02"
                                         "\x00\x01"
                                         "a"
                                         "\x00",
                                         9)),
                  v5)
            .code == reason_code::protocol_error); // two subscription identifiers
}

TEST_CASE("server packets encode as the spec lays them out", "[mqtt][codec]")
{
    connack_packet ok;
    ok.session_present = true;
    CHECK(encoded(ok, v311) == std::string("\x20\x02\x01\x00", 4));
    connack_packet bad;
    bad.reason = reason_code::bad_user_name_or_password;
    CHECK(encoded(bad, v311) == std::string("\x20\x02\x00\x04", 4));
    CHECK(encoded(bad, v5) == std::string("\x20\x03\x00\x86\x00", 5));

    suback_packet sa;
    sa.packet_id = 1;
    sa.reasons = { reason_code::granted_qos_1, reason_code::topic_filter_invalid };
    CHECK(encoded(sa, v311) == std::string("\x90\x04\x00\x01\x01\x80", 6));
    CHECK(encoded(sa, v5) == std::string("\x90\x05\x00\x01\x00\x01\x8f", 7));

    unsuback_packet ua;
    ua.packet_id = 2;
    ua.reasons = { reason_code::no_subscription_existed };
    CHECK(encoded(ua, v311) == std::string("\xb0\x02\x00\x02", 4));
    CHECK(encoded(ua, v5) == std::string("\xb0\x04\x00\x02\x00\x11", 6));

    CHECK(encoded(pingresp_packet{}, v311) == std::string("\xd0\x00", 2));
    CHECK(encoded(disconnect_packet{ reason_code::session_taken_over, {} }, v5) == std::string("\xe0\x02\x8e\x00", 4));
    CHECK(encoded(disconnect_packet{}, v311) == std::string("\xe0\x00", 2));
}

TEST_CASE("reserved packet types and AUTH in 3.1.1 are malformed", "[mqtt][codec]")
{
    CHECK(refused(fixed(0x00, ""), v311).code == reason_code::malformed_packet);
    CHECK(refused(fixed(0xF0, ""), v311).code == reason_code::malformed_packet);
    auto auth = decode_as<auth_packet>(fixed(0xF0, std::string("\x18\x00", 2)), v5);
    CHECK(auth.reason == static_cast<reason_code>(0x18));
    CHECK(refused(fixed(0xC0, "x"), v311).code == reason_code::malformed_packet); // PINGREQ with a body
    CHECK(refused(fixed(0x10, ""), v311).code == reason_code::protocol_error);    // a second CONNECT
    auto d = decode_as<disconnect_packet>(fixed(0xE0, ""), v5);
    CHECK(d.reason == reason_code::success);
    auto d2 = decode_as<disconnect_packet>(fixed(0xE0, std::string("\x04\x00", 2)), v5);
    CHECK(d2.reason == reason_code::disconnect_with_will);
    CHECK(refused(fixed(0xE0, "x"), v311).code == reason_code::malformed_packet);
}
