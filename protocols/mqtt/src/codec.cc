#include "codec.h"

#include "topic.h"
#include "utf8.h"

#include <fmt/format.h>

namespace plexus::protocol::mqtt {
namespace {

bool v5(protocol_version v)
{
    return v == protocol_version::v5;
}

/// The body in one piece: a view of the single fragment, or a copy into `scratch`.
std::string_view contiguous(const sdk::buffer_chain& body, std::string& scratch)
{
    if (body.fragment_count() <= 1) {
        std::string_view view;
        body.for_each_fragment([&](const sdk::bytes& b) { view = b.as_string_view(); });
        return view;
    }
    scratch = body.to_string();
    return scratch;
}

decode_error error(reason_code code, std::string text)
{
    return decode_error{ code, std::move(text) };
}

/// The packet had to end here: trailing bytes are malformed.
std::optional<decode_error> finished(const wire_reader& r, const char* name)
{
    if (!r.ok()) {
        return error(r.error(), fmt::format("{}: {}", name, r.error_text()));
    }
    if (r.remaining() != 0) {
        return error(reason_code::malformed_packet,
                     fmt::format("{}: {} bytes after the packet's end", name, r.remaining()));
    }
    return std::nullopt;
}

decoded decode_publish(const raw_packet& raw, protocol_version version, std::string_view in)
{
    publish_packet p;
    const auto flags = raw.flags();
    p.dup = (flags & 0x08) != 0;
    p.qos = (flags >> 1) & 0x03;
    p.retain = (flags & 0x01) != 0;
    if (p.qos == 3) {
        return error(reason_code::malformed_packet, "PUBLISH with QoS 3");
    }
    if (p.qos == 0 && p.dup) {
        return error(reason_code::malformed_packet, "PUBLISH with QoS 0 and the DUP flag");
    }
    wire_reader r(in);
    p.topic = r.utf8("the PUBLISH topic name");
    if (p.qos > 0) {
        p.packet_id = r.u16();
        if (r.ok() && p.packet_id == 0) {
            return error(reason_code::protocol_error, "PUBLISH with packet identifier 0");
        }
    }
    if (v5(version)) {
        p.props = read_properties(r, packet_type::publish);
    }
    if (!r.ok()) {
        return error(r.error(), "PUBLISH: " + r.error_text());
    }
    if (p.topic.find_first_of("+#") != std::string::npos) {
        return error(reason_code::topic_name_invalid, "PUBLISH topic '" + p.topic + "' contains a wildcard");
    }
    if (p.topic.empty() && !(v5(version) && p.props.topic_alias)) {
        return error(reason_code::topic_name_invalid, "PUBLISH with an empty topic name and no topic alias");
    }
    if (!p.props.subscription_identifiers.empty()) {
        return error(reason_code::protocol_error, "PUBLISH from a client with a subscription identifier");
    }
    p.payload = raw.body.share(r.pos(), raw.body.size() - r.pos());
    if (p.props.payload_format_indicator == 1 && p.payload.size() > 0) {
        // Spec 5.0 §3.3.2.3.2: the receiver may check it; we do, so garbage does not reach
        // consumers that trust the flag.
        if (!valid_mqtt_utf8(p.payload.to_string(), true)) {
            return error(reason_code::payload_format_invalid, "payload marked UTF-8 is not valid UTF-8");
        }
    }
    return packet(std::move(p));
}

decoded decode_ack(const raw_packet& raw, protocol_version version, std::string_view in)
{
    ack_packet a;
    a.type = raw.type();
    const char* name = a.type == packet_type::puback   ? "PUBACK"
                       : a.type == packet_type::pubrec ? "PUBREC"
                       : a.type == packet_type::pubrel ? "PUBREL"
                                                       : "PUBCOMP";
    wire_reader r(in);
    a.packet_id = r.u16();
    if (v5(version) && r.remaining() > 0) {
        a.reason = static_cast<reason_code>(r.u8());
        if (r.remaining() > 0) {
            a.props = read_properties(r, a.type);
        }
    }
    if (auto e = finished(r, name)) {
        return *e;
    }
    if (a.packet_id == 0) {
        return error(reason_code::protocol_error, fmt::format("{} with packet identifier 0", name));
    }
    return packet(std::move(a));
}

decoded decode_subscribe(protocol_version version, std::string_view in)
{
    subscribe_packet s;
    wire_reader r(in);
    s.packet_id = r.u16();
    if (v5(version)) {
        s.props = read_properties(r, packet_type::subscribe);
    }
    while (r.ok() && r.remaining() > 0) {
        subscription_option o;
        o.filter = r.utf8("a SUBSCRIBE topic filter");
        const std::uint8_t options = r.u8();
        if (!r.ok()) {
            break;
        }
        o.qos = options & 0x03;
        const std::uint8_t reserved = v5(version) ? options & 0xC0 : options & 0xFC;
        if (reserved != 0) {
            return error(reason_code::malformed_packet, "SUBSCRIBE options with reserved bits set");
        }
        if (o.qos == 3) {
            return error(reason_code::malformed_packet, "SUBSCRIBE with QoS 3");
        }
        if (v5(version)) {
            o.no_local = (options & 0x04) != 0;
            o.retain_as_published = (options & 0x08) != 0;
            o.retain_handling = (options >> 4) & 0x03;
            if (o.retain_handling == 3) {
                return error(reason_code::protocol_error, "SUBSCRIBE with retain handling 3");
            }
        }
        s.topics.push_back(std::move(o));
    }
    if (auto e = finished(r, "SUBSCRIBE")) {
        return *e;
    }
    if (s.packet_id == 0) {
        return error(reason_code::protocol_error, "SUBSCRIBE with packet identifier 0");
    }
    if (s.topics.empty()) {
        return error(reason_code::protocol_error, "SUBSCRIBE without a topic filter");
    }
    if (s.props.subscription_identifiers.size() > 1) {
        return error(reason_code::protocol_error, "SUBSCRIBE with more than one subscription identifier");
    }
    return packet(std::move(s));
}

decoded decode_unsubscribe(protocol_version version, std::string_view in)
{
    unsubscribe_packet u;
    wire_reader r(in);
    u.packet_id = r.u16();
    if (v5(version)) {
        u.props = read_properties(r, packet_type::unsubscribe);
    }
    while (r.ok() && r.remaining() > 0) {
        u.filters.push_back(r.utf8("an UNSUBSCRIBE topic filter"));
    }
    if (auto e = finished(r, "UNSUBSCRIBE")) {
        return *e;
    }
    if (u.packet_id == 0) {
        return error(reason_code::protocol_error, "UNSUBSCRIBE with packet identifier 0");
    }
    if (u.filters.empty()) {
        return error(reason_code::protocol_error, "UNSUBSCRIBE without a topic filter");
    }
    return packet(std::move(u));
}

/// DISCONNECT and AUTH: in v5 an optional reason code and optional properties.
template<class P>
decoded decode_reason_only(protocol_version version, std::string_view in, packet_type type, const char* name)
{
    P p;
    wire_reader r(in);
    if (!v5(version)) {
        if (type == packet_type::auth) {
            return error(reason_code::malformed_packet, "AUTH is not an MQTT 3.1.1 packet");
        }
    } else if (r.remaining() > 0) {
        p.reason = static_cast<reason_code>(r.u8());
        if (r.remaining() > 0) {
            p.props = read_properties(r, type);
        }
    }
    if (auto e = finished(r, name)) {
        return *e;
    }
    return packet(std::move(p));
}

decoded decode_suback(protocol_version version, std::string_view in)
{
    suback_packet s;
    wire_reader r(in);
    s.packet_id = r.u16();
    if (v5(version)) {
        s.props = read_properties(r, packet_type::suback);
    }
    while (r.ok() && r.remaining() > 0) {
        s.reasons.push_back(static_cast<reason_code>(r.u8()));
    }
    if (auto e = finished(r, "SUBACK")) {
        return *e;
    }
    return packet(std::move(s));
}

decoded decode_unsuback(protocol_version version, std::string_view in)
{
    unsuback_packet u;
    wire_reader r(in);
    u.packet_id = r.u16();
    if (v5(version)) {
        u.props = read_properties(r, packet_type::unsuback);
        while (r.ok() && r.remaining() > 0) {
            u.reasons.push_back(static_cast<reason_code>(r.u8()));
        }
    }
    if (auto e = finished(r, "UNSUBACK")) {
        return *e;
    }
    return packet(std::move(u));
}

decoded decode_connack(protocol_version version, std::string_view in)
{
    connack_packet c;
    wire_reader r(in);
    const std::uint8_t flags = r.u8();
    c.session_present = (flags & 0x01) != 0;
    c.reason = static_cast<reason_code>(r.u8());
    if (v5(version)) {
        c.props = read_properties(r, packet_type::connack);
    }
    if (auto e = finished(r, "CONNACK")) {
        return *e;
    }
    return packet(std::move(c));
}

/// The fixed-header flags each type must carry (spec §2.1.3); PUBLISH's are its own.
std::uint8_t required_flags(packet_type t)
{
    switch (t) {
        case packet_type::pubrel:
        case packet_type::subscribe:
        case packet_type::unsubscribe:
            return 0x02;
        default:
            return 0x00;
    }
}

} // namespace

decoded decode_packet(const raw_packet& raw, protocol_version version)
{
    const auto type = raw.type();
    if (type == packet_type::reserved || (type == packet_type::auth && !v5(version))) {
        return error(reason_code::malformed_packet, fmt::format("reserved packet type {}", static_cast<int>(type)));
    }
    if (type != packet_type::publish && raw.flags() != required_flags(type)) {
        return error(reason_code::malformed_packet,
                     fmt::format("packet type {} with reserved flags 0x{:X}", static_cast<int>(type), raw.flags()));
    }
    std::string scratch;
    const std::string_view in = contiguous(raw.body, scratch);
    switch (type) {
        case packet_type::connect:
            return error(reason_code::protocol_error, "a second CONNECT");
        case packet_type::connack:
            return decode_connack(version, in);
        case packet_type::publish:
            return decode_publish(raw, version, in);
        case packet_type::puback:
        case packet_type::pubrec:
        case packet_type::pubrel:
        case packet_type::pubcomp:
            return decode_ack(raw, version, in);
        case packet_type::subscribe:
            return decode_subscribe(version, in);
        case packet_type::suback:
            return decode_suback(version, in);
        case packet_type::unsubscribe:
            return decode_unsubscribe(version, in);
        case packet_type::unsuback:
            return decode_unsuback(version, in);
        case packet_type::pingreq:
        case packet_type::pingresp:
            if (!in.empty()) {
                return error(reason_code::malformed_packet, "PINGREQ/PINGRESP with a body");
            }
            if (type == packet_type::pingreq) {
                return packet(pingreq_packet{});
            }
            return packet(pingresp_packet{});
        case packet_type::disconnect:
            return decode_reason_only<disconnect_packet>(version, in, type, "DISCONNECT");
        case packet_type::auth:
            return decode_reason_only<auth_packet>(version, in, type, "AUTH");
        default:
            break;
    }
    return error(reason_code::malformed_packet, "unknown packet type");
}

decoded decode_connect(const raw_packet& raw)
{
    if (raw.type() != packet_type::connect) {
        return error(reason_code::protocol_error,
                     fmt::format("packet type {} before CONNECT", static_cast<int>(raw.type())));
    }
    if (raw.flags() != 0) {
        return error(reason_code::malformed_packet, "CONNECT with reserved flags");
    }
    std::string scratch;
    wire_reader r(contiguous(raw.body, scratch));
    connect_packet c;
    const std::string name(r.raw(r.u16()));
    const std::uint8_t level = r.u8();
    if (!r.ok()) {
        return error(reason_code::malformed_packet, "CONNECT: " + r.error_text());
    }
    if (name == "MQTT" && (level == 4 || level == 5)) {
        c.version = static_cast<protocol_version>(level);
    } else if (name == "MQIsdp" && level == 3) {
        c.version = protocol_version::v31;
    } else if (name == "MQTT" || name == "MQIsdp") {
        return error(reason_code::unsupported_protocol_version,
                     fmt::format("protocol '{}' level {} is not supported (3, 4 and 5 are)", name, level));
    } else {
        return error(reason_code::malformed_packet, fmt::format("unknown protocol name '{}'", name));
    }
    const std::uint8_t flags = r.u8();
    c.keep_alive = r.u16();
    if ((flags & 0x01) != 0) {
        return error(reason_code::malformed_packet, "CONNECT with the reserved flag set");
    }
    c.clean_start = (flags & 0x02) != 0;
    const bool will = (flags & 0x04) != 0;
    const std::uint8_t will_qos = (flags >> 3) & 0x03;
    const bool will_retain = (flags & 0x20) != 0;
    const bool has_password = (flags & 0x40) != 0;
    const bool has_username = (flags & 0x80) != 0;
    if (!will && (will_qos != 0 || will_retain)) {
        return error(reason_code::malformed_packet, "CONNECT with will QoS or retain but no will flag");
    }
    if (will_qos == 3) {
        return error(reason_code::malformed_packet, "CONNECT with will QoS 3");
    }
    if (!v5(c.version) && has_password && !has_username) {
        return error(reason_code::malformed_packet, "CONNECT with a password but no user name");
    }
    const bool is_v5 = v5(c.version);
    if (is_v5) {
        c.props = read_properties(r, packet_type::connect);
    }
    c.client_id = r.utf8("the client identifier");
    if (will) {
        will_message w;
        w.qos = will_qos;
        w.retain = will_retain;
        if (is_v5) {
            w.props = read_properties(r, will_properties);
        }
        w.topic = r.utf8("the will topic");
        w.payload = r.binary();
        if (r.ok() && !valid_topic_name(w.topic)) {
            return error(reason_code::topic_name_invalid, "will topic '" + w.topic + "' is not a valid topic name");
        }
        c.will = std::move(w);
    }
    if (has_username) {
        c.username = r.utf8("the user name");
    }
    if (has_password) {
        c.password = r.binary();
    }
    if (auto e = finished(r, "CONNECT")) {
        return *e;
    }
    return packet(std::move(c));
}

namespace {

/// The fixed header for a body of `size` bytes.
sdk::bytes fixed_header(std::uint8_t first, std::size_t size)
{
    std::string h;
    wire_writer w(h);
    w.u8(first);
    w.varint(static_cast<std::uint32_t>(size));
    return sdk::bytes::copy_of(h);
}

sdk::buffer_chain framed(std::uint8_t first, std::string body)
{
    sdk::buffer_chain out(fixed_header(first, body.size()));
    out.append(sdk::bytes::copy_of(body));
    return out;
}

std::uint8_t first_byte(packet_type t, std::uint8_t flags = 0)
{
    return static_cast<std::uint8_t>((static_cast<unsigned>(t) << 4) | flags);
}

struct encoder
{
    protocol_version version;

    sdk::buffer_chain operator()(const connect_packet& c) const
    {
        std::string b;
        wire_writer w(b);
        if (c.version == protocol_version::v31) {
            w.string("MQIsdp");
        } else {
            w.string("MQTT");
        }
        w.u8(static_cast<std::uint8_t>(c.version));
        std::uint8_t flags = c.clean_start ? 0x02 : 0;
        if (c.will) {
            flags |= 0x04 | (c.will->qos << 3) | (c.will->retain ? 0x20 : 0);
        }
        flags |= c.password ? 0x40 : 0;
        flags |= c.username ? 0x80 : 0;
        w.u8(flags);
        w.u16(c.keep_alive);
        if (v5(c.version)) {
            write_properties(w, c.props);
        }
        w.string(c.client_id);
        if (c.will) {
            if (v5(c.version)) {
                write_properties(w, c.will->props);
            }
            w.string(c.will->topic);
            w.string(c.will->payload);
        }
        if (c.username) {
            w.string(*c.username);
        }
        if (c.password) {
            w.string(*c.password);
        }
        return framed(first_byte(packet_type::connect), std::move(b));
    }
    sdk::buffer_chain operator()(const connack_packet& c) const
    {
        std::string b;
        wire_writer w(b);
        w.u8(c.session_present ? 1 : 0);
        if (v5(version)) {
            w.u8(static_cast<std::uint8_t>(c.reason));
            write_properties(w, c.props);
        } else {
            w.u8(static_cast<std::uint8_t>(to_connect_return_code(c.reason)));
        }
        return framed(first_byte(packet_type::connack), std::move(b));
    }
    sdk::buffer_chain operator()(const publish_packet& p) const
    {
        std::string b;
        wire_writer w(b);
        w.string(p.topic);
        if (p.qos > 0) {
            w.u16(p.packet_id);
        }
        if (v5(version)) {
            write_properties(w, p.props);
        }
        const std::uint8_t flags = (p.dup ? 0x08 : 0) | (p.qos << 1) | (p.retain ? 0x01 : 0);
        sdk::buffer_chain out(fixed_header(first_byte(packet_type::publish, flags), b.size() + p.payload.size()));
        out.append(sdk::bytes::copy_of(b));
        out.append(p.payload);
        return out;
    }
    sdk::buffer_chain operator()(const ack_packet& a) const
    {
        std::string b;
        wire_writer w(b);
        w.u16(a.packet_id);
        // Spec 5.0 §3.4.2.1: the reason code and properties may be left out when the reason
        // is success and there are no properties.
        const bool has_props = a.props != properties{};
        if (v5(version) && (a.reason != reason_code::success || has_props)) {
            w.u8(static_cast<std::uint8_t>(a.reason));
            if (has_props) {
                write_properties(w, a.props);
            }
        }
        return framed(first_byte(a.type, a.type == packet_type::pubrel ? 0x02 : 0), std::move(b));
    }
    sdk::buffer_chain operator()(const subscribe_packet& s) const
    {
        std::string b;
        wire_writer w(b);
        w.u16(s.packet_id);
        if (v5(version)) {
            write_properties(w, s.props);
        }
        for (const auto& t : s.topics) {
            w.string(t.filter);
            w.u8(static_cast<std::uint8_t>(t.qos | (t.no_local ? 0x04 : 0) | (t.retain_as_published ? 0x08 : 0) |
                                           (t.retain_handling << 4)));
        }
        return framed(first_byte(packet_type::subscribe, 0x02), std::move(b));
    }
    sdk::buffer_chain operator()(const suback_packet& s) const
    {
        std::string b;
        wire_writer w(b);
        w.u16(s.packet_id);
        if (v5(version)) {
            write_properties(w, s.props);
        }
        for (auto r : s.reasons) {
            // 3.1.1 knows 0, 1, 2 and 0x80 (failure) only.
            w.u8(v5(version) || static_cast<std::uint8_t>(r) <= 2 ? static_cast<std::uint8_t>(r) : 0x80);
        }
        return framed(first_byte(packet_type::suback), std::move(b));
    }
    sdk::buffer_chain operator()(const unsubscribe_packet& u) const
    {
        std::string b;
        wire_writer w(b);
        w.u16(u.packet_id);
        if (v5(version)) {
            write_properties(w, u.props);
        }
        for (const auto& f : u.filters) {
            w.string(f);
        }
        return framed(first_byte(packet_type::unsubscribe, 0x02), std::move(b));
    }
    sdk::buffer_chain operator()(const unsuback_packet& u) const
    {
        std::string b;
        wire_writer w(b);
        w.u16(u.packet_id);
        if (v5(version)) {
            write_properties(w, u.props);
            for (auto r : u.reasons) {
                w.u8(static_cast<std::uint8_t>(r));
            }
        }
        return framed(first_byte(packet_type::unsuback), std::move(b));
    }
    sdk::buffer_chain operator()(const pingreq_packet&) const { return framed(first_byte(packet_type::pingreq), {}); }
    sdk::buffer_chain operator()(const pingresp_packet&) const { return framed(first_byte(packet_type::pingresp), {}); }
    sdk::buffer_chain operator()(const disconnect_packet& d) const
    {
        std::string b;
        wire_writer w(b);
        if (v5(version)) {
            w.u8(static_cast<std::uint8_t>(d.reason));
            write_properties(w, d.props);
        }
        return framed(first_byte(packet_type::disconnect), std::move(b));
    }
    sdk::buffer_chain operator()(const auth_packet& a) const
    {
        std::string b;
        wire_writer w(b);
        w.u8(static_cast<std::uint8_t>(a.reason));
        write_properties(w, a.props);
        return framed(first_byte(packet_type::auth), std::move(b));
    }
};

} // namespace

sdk::buffer_chain encode_packet(const packet& p, protocol_version version)
{
    return std::visit(encoder{ version }, p);
}

sdk::buffer_chain encode_packet(const publish_packet& p, protocol_version version)
{
    return encoder{ version }(p);
}

std::size_t publish_wire_size(const publish_packet& p, protocol_version version)
{
    std::size_t body = 2 + p.topic.size() + (p.qos > 0 ? 2 : 0) + p.payload.size();
    if (v5(version)) {
        body += properties_size(p.props);
    }
    return 1 + varint_size(static_cast<std::uint32_t>(body)) + body;
}

} // namespace plexus::protocol::mqtt
