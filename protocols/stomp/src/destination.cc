#include "destination.h"

namespace plexus::protocol::stomp {
namespace {

frame_error invalid(std::string_view text, std::string_view why)
{
    return frame_error{ "Invalid destination", "'" + std::string(text) + "' " + std::string(why) };
}

} // namespace

std::variant<destination, frame_error> parse_destination(std::string_view text)
{
    struct prefix
    {
        std::string_view text;
        destination_kind kind;
    };
    static constexpr prefix prefixes[] = {
        { "/queue/", destination_kind::queue },           { "/topic/", destination_kind::topic },
        { "/exchange/", destination_kind::exchange },     { "/amq/queue/", destination_kind::amq_queue },
        { "/temp-queue/", destination_kind::temp_queue }, { "/reply-queue/", destination_kind::reply_queue },
    };
    for (const auto& p : prefixes) {
        if (!text.starts_with(p.text)) {
            continue;
        }
        const std::string_view rest = text.substr(p.text.size());
        destination d;
        d.kind = p.kind;
        switch (p.kind) {
            case destination_kind::topic:
                if (rest.empty()) {
                    return invalid(text, "names no routing key after /topic/");
                }
                d.key = std::string(rest);
                return d;
            case destination_kind::exchange: {
                const auto slash = rest.find('/');
                d.name = std::string(rest.substr(0, slash));
                if (slash != std::string_view::npos) {
                    d.key = std::string(rest.substr(slash + 1));
                }
                if (d.name.empty()) {
                    return invalid(text, "names no exchange after /exchange/");
                }
                return d;
            }
            default:
                if (rest.empty() || rest.find('/') != std::string_view::npos) {
                    return invalid(text, "must name one queue after " + std::string(p.text));
                }
                d.name = std::string(rest);
                return d;
        }
    }
    return invalid(text,
                   "is not a destination this broker knows: use /queue/, /topic/, /exchange/, /amq/queue/, "
                   "/temp-queue/ or /reply-queue/");
}

std::string destination_of(std::string_view exchange, std::string_view routing_key)
{
    if (exchange.empty()) {
        return "/queue/" + std::string(routing_key);
    }
    if (exchange == topic_exchange) {
        return "/topic/" + std::string(routing_key);
    }
    return "/exchange/" + std::string(exchange) + "/" + std::string(routing_key);
}

} // namespace plexus::protocol::stomp
