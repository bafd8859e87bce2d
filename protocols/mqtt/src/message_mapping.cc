#include "message_mapping.h"

#include "utf8.h"

#include "topic.h"

#include <fmt/format.h>

namespace plexus::protocol::mqtt {
namespace {

bool internal_header(std::string_view key)
{
    // Also other gateways' and the kernel's (AMQP field types, the dead-letter history, which
    // is binary and would not be valid UTF-8 in a user property).
    return sdk::is_internal_header(key);
}

std::string as_text(const sdk::header_value& v)
{
    struct visitor
    {
        std::string operator()(std::monostate) const { return {}; }
        std::string operator()(bool b) const { return b ? "true" : "false"; }
        std::string operator()(std::int64_t i) const { return std::to_string(i); }
        std::string operator()(double d) const { return fmt::format("{}", d); }
        std::string operator()(const std::string& s) const { return s; }
    };
    return std::visit(visitor{}, v);
}

} // namespace

sdk::message_ptr to_message(const publish_packet& p,
                            std::string_view client_id,
                            sdk::timestamp_ms now,
                            std::string_view exchange)
{
    auto msg = std::make_shared<sdk::message>();
    msg->exchange = std::string(exchange);
    msg->routing_key = to_routing_key(p.topic);
    msg->timestamp = now;
    auto& mp = msg->properties;
    mp.content_type = p.props.content_type.value_or("");
    mp.correlation_id = p.props.correlation_data.value_or("");
    mp.reply_to = p.props.response_topic.value_or("");
    if (p.props.message_expiry_interval) {
        mp.ttl_ms = static_cast<std::int64_t>(*p.props.message_expiry_interval) * 1000;
    }
    mp.persistent = p.qos > 0;
    msg->headers_.reserve(p.props.user_properties.size() + 4);
    for (const auto& [k, v] : p.props.user_properties) {
        msg->headers_.push_back({ k, v });
    }
    msg->headers_.push_back({ std::string(qos_header), static_cast<std::int64_t>(p.qos) });
    if (p.retain) {
        msg->headers_.push_back({ std::string(retain_header), true });
    }
    if (!client_id.empty()) {
        msg->headers_.push_back({ std::string(publisher_header), std::string(client_id) });
    }
    if (p.props.payload_format_indicator) {
        msg->headers_.push_back(
          { std::string(payload_format_header), static_cast<std::int64_t>(*p.props.payload_format_indicator) });
    }
    msg->body = p.payload;
    return msg;
}

std::optional<publish_packet> to_publish(const sdk::message& msg, sdk::timestamp_ms now)
{
    publish_packet p;
    const auto& mp = msg.properties;
    if (mp.ttl_ms) {
        // The kernel expires a waiting message from its queue's head (counting from its arrival
        // there); a message behind one that lives longer, or one in flight, is caught here.
        const std::int64_t left = msg.timestamp() + *mp.ttl_ms - now();
        if (left <= 0) {
            return std::nullopt;
        }
        p.props.message_expiry_interval = static_cast<std::uint32_t>((left + 999) / 1000);
    }
    p.topic = to_topic(msg.routing_key);
    if (!mp.content_type.empty()) {
        p.props.content_type = mp.content_type;
    }
    if (!mp.correlation_id.empty()) {
        p.props.correlation_data = mp.correlation_id;
    }
    if (!mp.reply_to.empty()) {
        p.props.response_topic = mp.reply_to;
    }
    for (const auto& h : msg.headers_) {
        if (h.key == payload_format_header) {
            if (const auto* i = std::get_if<std::int64_t>(&h.value); i && (*i == 0 || *i == 1)) {
                p.props.payload_format_indicator = static_cast<std::uint8_t>(*i);
            }
        } else if (!internal_header(h.key)) {
            // A user property is a UTF-8 string pair: a header from another protocol holding
            // bytes (an AMQP byte array or decimal) cannot be one, and is left out.
            std::string value = as_text(h.value);
            if (valid_mqtt_utf8(h.key) && valid_mqtt_utf8(value)) {
                p.props.user_properties.emplace_back(h.key, std::move(value));
            }
        }
    }
    p.payload = msg.body;
    return p;
}

std::uint8_t published_qos(const sdk::message& msg)
{
    if (const auto* v = sdk::find_header(msg.headers_, qos_header)) {
        if (const auto* i = std::get_if<std::int64_t>(v); i && *i >= 0 && *i <= 2) {
            return static_cast<std::uint8_t>(*i);
        }
    }
    return 2;
}

bool published_retained(const sdk::message& msg)
{
    const auto* v = sdk::find_header(msg.headers_, retain_header);
    return v != nullptr && std::holds_alternative<bool>(*v) && std::get<bool>(*v);
}

std::string_view publisher_of(const sdk::message& msg)
{
    if (const auto* v = sdk::find_header(msg.headers_, publisher_header)) {
        if (const auto* s = std::get_if<std::string>(v)) {
            return *s;
        }
    }
    return {};
}

} // namespace plexus::protocol::mqtt
