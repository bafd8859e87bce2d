#include "message_mapping.h"

#include <charconv>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <optional>

namespace plexus::protocol::stomp {
namespace {

// Headers that belong to the frame, not to the message.
constexpr std::array<std::string_view, 10> frame_headers{
    "destination", "transaction", "receipt", "content-length", "subscription",
    "message-id",  "ack",         "id",      "redelivered",    "message",
};

bool is_frame_header(std::string_view key)
{
    for (auto k : frame_headers) {
        if (k == key) {
            return true;
        }
    }
    return false;
}

std::optional<std::int64_t> whole_number(const std::string& s)
{
    std::int64_t n = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size()) {
        return std::nullopt;
    }
    return n;
}

frame_error bad_header(std::string_view key, const std::string& value, std::string_view expected)
{
    return frame_error{ "Bad header value",
                        "header '" + std::string(key) + "' is '" + value + "'; expected " + std::string(expected) };
}

std::string text_of(const sdk::header_value& v)
{
    switch (v.index()) {
        case 1:
            return std::get<bool>(v) ? "true" : "false";
        case 2:
            return std::to_string(std::get<std::int64_t>(v));
        case 3:
            return fmt::format("{}", std::get<double>(v));
        case 4:
            return std::get<std::string>(v);
        default:
            return {};
    }
}

} // namespace

std::variant<std::shared_ptr<sdk::message>, frame_error> to_message(const frame& send,
                                                                    std::string_view authenticated_user,
                                                                    std::int64_t now_ms)
{
    std::optional<std::int64_t> expires_at; // ActiveMQ's `expires`: ms since the epoch, 0 = never
    auto msg = std::make_shared<sdk::message>();
    auto& p = msg->properties;
    std::vector<std::string_view> seen; // first wins: later copies of a key are ignored
    for (const auto& [key, value] : send.headers) {
        if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
            continue;
        }
        seen.push_back(key);
        if (is_frame_header(key)) {
            continue;
        }
        if (key == "content-type") {
            p.content_type = value;
        } else if (key == "content-encoding") {
            p.content_encoding = value;
        } else if (key == "correlation-id") {
            p.correlation_id = value;
        } else if (key == "reply-to") {
            p.reply_to = value;
        } else if (key == "amqp-message-id") {
            p.message_id = value;
        } else if (key == "type") {
            p.type = value;
        } else if (key == "app-id") {
            p.app_id = value;
        } else if (key == "user-id") {
            if (value != authenticated_user) {
                return frame_error{ "Bad header value",
                                    "user-id header is '" + value + "' but the authenticated user is '" +
                                      std::string(authenticated_user) + "'" };
            }
            p.user_id = value;
        } else if (key == "persistent") {
            p.persistent = value == "true";
        } else if (key == "priority") {
            auto n = whole_number(value);
            if (!n || *n < 0 || *n > 255) {
                return bad_header(key, value, "a number from 0 to 255");
            }
            p.priority = static_cast<std::uint8_t>(*n);
        } else if (key == "expiration") {
            auto n = whole_number(value);
            if (!n || *n < 0) {
                return bad_header(key, value, "a non-negative number of milliseconds");
            }
            p.ttl_ms = *n;
        } else if (key == "expires") {
            auto n = whole_number(value);
            if (!n || *n < 0) {
                return bad_header(key, value, "milliseconds since the epoch (0: never)");
            }
            if (*n != 0) {
                expires_at = *n;
            }
        } else if (key == "timestamp") {
            auto n = whole_number(value);
            if (!n || *n < 0) {
                return bad_header(key, value, "seconds since the epoch");
            }
            msg->timestamp = sdk::timestamp_ms(*n * 1000);
        } else {
            msg->headers_.push_back({ key, value });
        }
    }
    if (expires_at) {
        // Whichever ends first, as with AMQP's per-message and per-queue TTLs; a time already
        // past expires the message on arrival.
        const auto left = *expires_at > now_ms ? *expires_at - now_ms : 0;
        p.ttl_ms = p.ttl_ms ? std::min<std::int64_t>(*p.ttl_ms, left) : left;
    }
    msg->body = send.body;
    return msg;
}

void add_message_headers(const sdk::message& msg, version v, frame& out)
{
    const auto& p = msg.properties;
    auto add = [&](std::string_view key, const std::string& value) {
        if (!value.empty()) {
            out.add(std::string(key), value);
        }
    };
    add("content-type", p.content_type);
    add("content-encoding", p.content_encoding);
    add("correlation-id", p.correlation_id);
    add("reply-to", p.reply_to);
    add("amqp-message-id", p.message_id);
    add("type", p.type);
    add("user-id", p.user_id);
    add("app-id", p.app_id);
    if (p.persistent) {
        out.add("persistent", "true");
    }
    if (p.priority != 0) {
        out.add("priority", std::to_string(p.priority));
    }
    if (p.ttl_ms) {
        out.add("expiration", std::to_string(*p.ttl_ms));
    }
    if (msg.timestamp() != 0) {
        out.add("timestamp", std::to_string(msg.timestamp() / 1000));
    }
    for (const auto& h : msg.headers_) {
        if (is_frame_header(h.key) || h.key.empty() || sdk::is_internal_header(h.key)) {
            continue;
        }
        std::string value = text_of(h.value);
        if (value.find('\0') != std::string::npos) {
            continue; // bytes from another protocol (an AMQP byte array or decimal): a NUL ends a frame
        }
        if (v == version::v1_0 &&
            (h.key.find_first_of(":\n") != std::string::npos || value.find('\n') != std::string::npos)) {
            continue; // 1.0 has no escaping: this header would break the frame
        }
        out.add(h.key, std::move(value));
    }
}

} // namespace plexus::protocol::stomp
