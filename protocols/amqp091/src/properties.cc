#include "properties.h"

#include "frame.h"

#include <fmt/format.h>

namespace plexus::protocol::amqp091 {
namespace {

enum flag : std::uint16_t
{
    content_type = 1u << 15,
    content_encoding = 1u << 14,
    headers = 1u << 13,
    delivery_mode = 1u << 12,
    priority = 1u << 11,
    correlation_id = 1u << 10,
    reply_to = 1u << 9,
    expiration = 1u << 8,
    message_id = 1u << 7,
    timestamp = 1u << 6,
    type = 1u << 5,
    user_id = 1u << 4,
    app_id = 1u << 3,
    cluster_id = 1u << 2,
};
constexpr std::uint16_t known_flags = 0xfffc;

} // namespace

content_header read_content_header(wire_reader& r)
{
    content_header h;
    h.class_id = r.u16();
    const std::uint16_t weight = r.u16();
    h.body_size = r.u64();
    const std::uint16_t flags = r.u16();
    if (!r.ok()) {
        return h;
    }
    if (weight != 0) {
        r.fail(reply_code::syntax_error, "content header weight " + std::to_string(weight) + " (must be 0)");
        return h;
    }
    if ((flags & ~known_flags) != 0) {
        r.fail(reply_code::syntax_error, fmt::format("content header property flags {:#06x} name no property", flags));
        return h;
    }
    auto& p = h.properties;
    auto str = [&](std::uint16_t bit, std::optional<std::string>& out) {
        if (flags & bit) {
            out = std::string(r.shortstr());
        }
    };
    str(flag::content_type, p.content_type);
    str(flag::content_encoding, p.content_encoding);
    if (flags & flag::headers) {
        p.headers = read_table(r);
    }
    if (flags & flag::delivery_mode) {
        p.delivery_mode = r.u8();
    }
    if (flags & flag::priority) {
        p.priority = r.u8();
    }
    str(flag::correlation_id, p.correlation_id);
    str(flag::reply_to, p.reply_to);
    str(flag::expiration, p.expiration);
    str(flag::message_id, p.message_id);
    if (flags & flag::timestamp) {
        p.timestamp = r.u64();
    }
    str(flag::type, p.type);
    str(flag::user_id, p.user_id);
    str(flag::app_id, p.app_id);
    str(flag::cluster_id, p.cluster_id);
    return h;
}

void write_content_header(wire_writer& w, std::uint64_t body_size, const basic_properties& p)
{
    std::uint16_t flags = 0;
    auto mark = [&](bool present, std::uint16_t bit) {
        if (present) {
            flags |= bit;
        }
    };
    mark(p.content_type.has_value(), flag::content_type);
    mark(p.content_encoding.has_value(), flag::content_encoding);
    mark(p.headers.has_value(), flag::headers);
    mark(p.delivery_mode.has_value(), flag::delivery_mode);
    mark(p.priority.has_value(), flag::priority);
    mark(p.correlation_id.has_value(), flag::correlation_id);
    mark(p.reply_to.has_value(), flag::reply_to);
    mark(p.expiration.has_value(), flag::expiration);
    mark(p.message_id.has_value(), flag::message_id);
    mark(p.timestamp.has_value(), flag::timestamp);
    mark(p.type.has_value(), flag::type);
    mark(p.user_id.has_value(), flag::user_id);
    mark(p.app_id.has_value(), flag::app_id);
    mark(p.cluster_id.has_value(), flag::cluster_id);
    w.u16(60);
    w.u16(0);
    w.u64(body_size);
    w.u16(flags);
    auto str = [&](const std::optional<std::string>& v) {
        if (v) {
            w.shortstr(*v);
        }
    };
    str(p.content_type);
    str(p.content_encoding);
    if (p.headers) {
        write_table(w, *p.headers);
    }
    if (p.delivery_mode) {
        w.u8(*p.delivery_mode);
    }
    if (p.priority) {
        w.u8(*p.priority);
    }
    str(p.correlation_id);
    str(p.reply_to);
    str(p.expiration);
    str(p.message_id);
    if (p.timestamp) {
        w.u64(*p.timestamp);
    }
    str(p.type);
    str(p.user_id);
    str(p.app_id);
    str(p.cluster_id);
}

void append_header_frame(std::string& out, std::uint16_t channel, std::uint64_t body_size, const basic_properties& p)
{
    auto at = begin_frame(out, frame_type::header, channel);
    wire_writer w(out);
    write_content_header(w, body_size, p);
    end_frame(out, at);
}

} // namespace plexus::protocol::amqp091
