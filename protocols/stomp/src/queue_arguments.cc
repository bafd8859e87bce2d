#include "queue_arguments.h"

#include <array>
#include <charconv>

namespace plexus::protocol::stomp {
namespace {

constexpr std::array<std::string_view, 5> integer_arguments{ "x-message-ttl",
                                                             "x-expires",
                                                             "x-max-length",
                                                             "x-max-length-bytes",
                                                             "x-max-priority" };
constexpr std::array<std::string_view, 4> string_arguments{ "x-dead-letter-exchange",
                                                            "x-dead-letter-routing-key",
                                                            "x-overflow",
                                                            "x-queue-type" };

std::optional<std::int64_t> integer(std::string_view text)
{
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
        return std::nullopt;
    }
    return v;
}

frame_error invalid(std::string_view header, const std::string& value, std::string_view expected)
{
    return { "Invalid header",
             "header '" + std::string(header) + "' is '" + value + "', expected " + std::string(expected) };
}

} // namespace

std::variant<sdk::headers, frame_error> queue_arguments(const frame& f)
{
    sdk::headers args;
    for (auto name : integer_arguments) {
        if (const auto* v = f.header(name)) {
            auto n = integer(*v);
            if (!n) {
                return invalid(name, *v, "an integer");
            }
            args.push_back({ std::string(name), *n });
        }
    }
    for (auto name : string_arguments) {
        if (const auto* v = f.header(name)) {
            args.push_back({ std::string(name), *v });
        }
    }
    if (const auto* v = f.header("x-single-active-consumer")) {
        if (*v != "true" && *v != "false") {
            return invalid("x-single-active-consumer", *v, "true or false");
        }
        args.push_back({ "x-single-active-consumer", *v == "true" });
    }
    return args;
}

std::variant<std::optional<sdk::stream_start>, frame_error> stream_offset(const frame& f)
{
    const auto* v = f.header("x-stream-offset");
    if (v == nullptr) {
        return std::optional<sdk::stream_start>();
    }
    sdk::stream_start s;
    const std::string_view text = *v;
    if (text == "first") {
        s.from = sdk::stream_start::kind::first;
    } else if (text == "last") {
        s.from = sdk::stream_start::kind::last;
    } else if (text == "next") {
        s.from = sdk::stream_start::kind::next;
    } else if (auto o = text.starts_with("offset=") ? integer(text.substr(7)) : std::nullopt; o && *o >= 0) {
        s.from = sdk::stream_start::kind::at_offset;
        s.at = sdk::offset(*o);
    } else if (auto t = text.starts_with("timestamp=") ? integer(text.substr(10)) : std::nullopt; t && *t >= 0) {
        s.from = sdk::stream_start::kind::at_timestamp;
        s.ts = sdk::timestamp_ms(*t * 1000);
    } else {
        return invalid("x-stream-offset", *v, "first, last, next, offset=<n> or timestamp=<seconds>");
    }
    return std::optional<sdk::stream_start>(s);
}

} // namespace plexus::protocol::stomp
