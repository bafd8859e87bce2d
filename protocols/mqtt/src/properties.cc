#include "properties.h"

#include <fmt/format.h>

namespace plexus::protocol::mqtt {
namespace {

enum class value_type : std::uint8_t
{
    byte,
    two_byte,
    four_byte,
    varint,
    utf8,
    binary,
    utf8_pair,
};

constexpr std::uint32_t in(std::initializer_list<packet_type> types)
{
    std::uint32_t mask = 0;
    for (auto t : types) {
        mask |= 1u << static_cast<unsigned>(t);
    }
    return mask;
}

struct property_def
{
    std::uint8_t id = 0;
    value_type type = value_type::byte;
    std::uint32_t allowed = 0;
    bool repeatable = false;
};

using pt = packet_type;
constexpr auto W = will_properties;

// Spec §2.2.2.2, table 2-4.
constexpr property_def defs[] = {
    { 0x01, value_type::byte, in({ pt::publish, W }) },
    { 0x02, value_type::four_byte, in({ pt::publish, W }) },
    { 0x03, value_type::utf8, in({ pt::publish, W }) },
    { 0x08, value_type::utf8, in({ pt::publish, W }) },
    { 0x09, value_type::binary, in({ pt::publish, W }) },
    { 0x0B, value_type::varint, in({ pt::publish, pt::subscribe }), true },
    { 0x11, value_type::four_byte, in({ pt::connect, pt::connack, pt::disconnect }) },
    { 0x12, value_type::utf8, in({ pt::connack }) },
    { 0x13, value_type::two_byte, in({ pt::connack }) },
    { 0x15, value_type::utf8, in({ pt::connect, pt::connack, pt::auth }) },
    { 0x16, value_type::binary, in({ pt::connect, pt::connack, pt::auth }) },
    { 0x17, value_type::byte, in({ pt::connect }) },
    { 0x18, value_type::four_byte, in({ W }) },
    { 0x19, value_type::byte, in({ pt::connect }) },
    { 0x1A, value_type::utf8, in({ pt::connack }) },
    { 0x1C, value_type::utf8, in({ pt::connack, pt::disconnect }) },
    { 0x1F,
      value_type::utf8,
      in({ pt::connack,
           pt::puback,
           pt::pubrec,
           pt::pubrel,
           pt::pubcomp,
           pt::suback,
           pt::unsuback,
           pt::disconnect,
           pt::auth }) },
    { 0x21, value_type::two_byte, in({ pt::connect, pt::connack }) },
    { 0x22, value_type::two_byte, in({ pt::connect, pt::connack }) },
    { 0x23, value_type::two_byte, in({ pt::publish }) },
    { 0x24, value_type::byte, in({ pt::connack }) },
    { 0x25, value_type::byte, in({ pt::connack }) },
    { 0x26,
      value_type::utf8_pair,
      in({ pt::connect,
           pt::connack,
           pt::publish,
           W,
           pt::puback,
           pt::pubrec,
           pt::pubrel,
           pt::pubcomp,
           pt::subscribe,
           pt::suback,
           pt::unsubscribe,
           pt::unsuback,
           pt::disconnect,
           pt::auth }),
      true },
    { 0x27, value_type::four_byte, in({ pt::connect, pt::connack }) },
    { 0x28, value_type::byte, in({ pt::connack }) },
    { 0x29, value_type::byte, in({ pt::connack }) },
    { 0x2A, value_type::byte, in({ pt::connack }) },
};

const property_def* find_def(std::uint32_t id)
{
    for (const auto& d : defs) {
        if (d.id == id) {
            return &d;
        }
    }
    return nullptr;
}

struct value
{
    std::uint32_t number = 0;
    std::string text;
    std::string second;
};

void store(properties& p, std::uint8_t id, value&& v, wire_reader& r)
{
    auto byte01 = [&](std::optional<std::uint8_t>& field, const char* name) {
        if (v.number > 1) {
            r.fail(reason_code::protocol_error, fmt::format("{} must be 0 or 1, got {}", name, v.number));
        }
        field = static_cast<std::uint8_t>(v.number);
    };
    switch (id) {
        case 0x01:
            return byte01(p.payload_format_indicator, "payload format indicator");
        case 0x02:
            p.message_expiry_interval = v.number;
            return;
        case 0x03:
            p.content_type = std::move(v.text);
            return;
        case 0x08:
            p.response_topic = std::move(v.text);
            return;
        case 0x09:
            p.correlation_data = std::move(v.text);
            return;
        case 0x0B:
            if (v.number == 0) {
                r.fail(reason_code::protocol_error, "subscription identifier 0");
            }
            p.subscription_identifiers.push_back(v.number);
            return;
        case 0x11:
            p.session_expiry_interval = v.number;
            return;
        case 0x12:
            p.assigned_client_identifier = std::move(v.text);
            return;
        case 0x13:
            p.server_keep_alive = static_cast<std::uint16_t>(v.number);
            return;
        case 0x15:
            p.authentication_method = std::move(v.text);
            return;
        case 0x16:
            p.authentication_data = std::move(v.text);
            return;
        case 0x17:
            return byte01(p.request_problem_information, "request problem information");
        case 0x18:
            p.will_delay_interval = v.number;
            return;
        case 0x19:
            return byte01(p.request_response_information, "request response information");
        case 0x1A:
            p.response_information = std::move(v.text);
            return;
        case 0x1C:
            p.server_reference = std::move(v.text);
            return;
        case 0x1F:
            p.reason_string = std::move(v.text);
            return;
        case 0x21:
            if (v.number == 0) {
                r.fail(reason_code::protocol_error, "receive maximum 0");
            }
            p.receive_maximum = static_cast<std::uint16_t>(v.number);
            return;
        case 0x22:
            p.topic_alias_maximum = static_cast<std::uint16_t>(v.number);
            return;
        case 0x23:
            p.topic_alias = static_cast<std::uint16_t>(v.number);
            return;
        case 0x24:
            return byte01(p.maximum_qos, "maximum QoS");
        case 0x25:
            return byte01(p.retain_available, "retain available");
        case 0x26:
            p.user_properties.emplace_back(std::move(v.text), std::move(v.second));
            return;
        case 0x27:
            if (v.number == 0) {
                r.fail(reason_code::protocol_error, "maximum packet size 0");
            }
            p.maximum_packet_size = v.number;
            return;
        case 0x28:
            return byte01(p.wildcard_subscription_available, "wildcard subscription available");
        case 0x29:
            return byte01(p.subscription_identifier_available, "subscription identifier available");
        case 0x2A:
            return byte01(p.shared_subscription_available, "shared subscription available");
        default:
            return;
    }
}

/// Calls put(id, type, value) for every property present in `p`, in identifier order.
template<class F>
void each_property(const properties& p, F&& put)
{
    auto num = [&](std::uint8_t id, value_type t, const auto& opt) {
        if (opt) {
            put(id, t, static_cast<std::uint32_t>(*opt), std::string_view(), std::string_view());
        }
    };
    auto str = [&](std::uint8_t id, value_type t, const std::optional<std::string>& opt) {
        if (opt) {
            put(id, t, 0u, std::string_view(*opt), std::string_view());
        }
    };
    num(0x01, value_type::byte, p.payload_format_indicator);
    num(0x02, value_type::four_byte, p.message_expiry_interval);
    str(0x03, value_type::utf8, p.content_type);
    str(0x08, value_type::utf8, p.response_topic);
    str(0x09, value_type::binary, p.correlation_data);
    for (auto id : p.subscription_identifiers) {
        put(0x0B, value_type::varint, id, std::string_view(), std::string_view());
    }
    num(0x11, value_type::four_byte, p.session_expiry_interval);
    str(0x12, value_type::utf8, p.assigned_client_identifier);
    num(0x13, value_type::two_byte, p.server_keep_alive);
    str(0x15, value_type::utf8, p.authentication_method);
    str(0x16, value_type::binary, p.authentication_data);
    num(0x17, value_type::byte, p.request_problem_information);
    num(0x18, value_type::four_byte, p.will_delay_interval);
    num(0x19, value_type::byte, p.request_response_information);
    str(0x1A, value_type::utf8, p.response_information);
    str(0x1C, value_type::utf8, p.server_reference);
    str(0x1F, value_type::utf8, p.reason_string);
    num(0x21, value_type::two_byte, p.receive_maximum);
    num(0x22, value_type::two_byte, p.topic_alias_maximum);
    num(0x23, value_type::two_byte, p.topic_alias);
    num(0x24, value_type::byte, p.maximum_qos);
    num(0x25, value_type::byte, p.retain_available);
    for (const auto& [k, v] : p.user_properties) {
        put(0x26, value_type::utf8_pair, 0u, std::string_view(k), std::string_view(v));
    }
    num(0x27, value_type::four_byte, p.maximum_packet_size);
    num(0x28, value_type::byte, p.wildcard_subscription_available);
    num(0x29, value_type::byte, p.subscription_identifier_available);
    num(0x2A, value_type::byte, p.shared_subscription_available);
}

std::size_t value_size(value_type t, std::uint32_t n, std::string_view a, std::string_view b)
{
    switch (t) {
        case value_type::byte:
            return 1;
        case value_type::two_byte:
            return 2;
        case value_type::four_byte:
            return 4;
        case value_type::varint:
            return varint_size(n);
        case value_type::utf8:
        case value_type::binary:
            return 2 + a.size();
        case value_type::utf8_pair:
            return 4 + a.size() + b.size();
    }
    return 0;
}

std::size_t body_size(const properties& p)
{
    std::size_t n = 0;
    each_property(p, [&](std::uint8_t, value_type t, std::uint32_t v, std::string_view a, std::string_view b) {
        n += 1 + value_size(t, v, a, b);
    });
    return n;
}

} // namespace

properties read_properties(wire_reader& r, property_context context)
{
    properties p;
    const std::uint32_t length = r.varint();
    if (!r.ok()) {
        return p;
    }
    if (length > r.remaining()) {
        r.fail(reason_code::malformed_packet, "property length runs past the packet");
        return p;
    }
    wire_reader body(r.raw(length));
    std::uint64_t seen = 0;
    while (body.ok() && body.remaining() > 0) {
        const std::uint32_t id = body.varint();
        const property_def* def = body.ok() ? find_def(id) : nullptr;
        if (!body.ok()) {
            break;
        }
        if (def == nullptr) {
            body.fail(reason_code::malformed_packet, fmt::format("unknown property identifier 0x{:02X}", id));
            break;
        }
        if ((def->allowed & (1u << static_cast<unsigned>(context))) == 0) {
            body.fail(reason_code::protocol_error,
                      fmt::format("property 0x{:02X} is not allowed in this packet", def->id));
            break;
        }
        if (!def->repeatable && (seen & (1ull << def->id)) != 0) {
            body.fail(reason_code::protocol_error, fmt::format("property 0x{:02X} appears more than once", def->id));
            break;
        }
        seen |= 1ull << def->id;
        value v;
        switch (def->type) {
            case value_type::byte:
                v.number = body.u8();
                break;
            case value_type::two_byte:
                v.number = body.u16();
                break;
            case value_type::four_byte:
                v.number = body.u32();
                break;
            case value_type::varint:
                v.number = body.varint();
                break;
            case value_type::utf8:
                v.text = body.utf8("a string property");
                break;
            case value_type::binary:
                v.text = body.binary();
                break;
            case value_type::utf8_pair:
                v.text = body.utf8("a user property name");
                v.second = body.utf8("a user property value");
                break;
        }
        if (body.ok()) {
            store(p, def->id, std::move(v), body);
        }
    }
    if (!body.ok()) {
        r.fail(body.error(), body.error_text());
    }
    return p;
}

void write_properties(wire_writer& w, const properties& p)
{
    w.varint(static_cast<std::uint32_t>(body_size(p)));
    each_property(p, [&](std::uint8_t id, value_type t, std::uint32_t n, std::string_view a, std::string_view b) {
        w.u8(id);
        switch (t) {
            case value_type::byte:
                w.u8(static_cast<std::uint8_t>(n));
                break;
            case value_type::two_byte:
                w.u16(static_cast<std::uint16_t>(n));
                break;
            case value_type::four_byte:
                w.u32(n);
                break;
            case value_type::varint:
                w.varint(n);
                break;
            case value_type::utf8:
            case value_type::binary:
                w.string(a);
                break;
            case value_type::utf8_pair:
                w.string(a);
                w.string(b);
                break;
        }
    });
}

std::size_t properties_size(const properties& p)
{
    const std::size_t n = body_size(p);
    return varint_size(static_cast<std::uint32_t>(n)) + n;
}

} // namespace plexus::protocol::mqtt
