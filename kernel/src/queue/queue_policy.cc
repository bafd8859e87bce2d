#include "kernel/src/queue/queue_policy.h"

#include <fmt/format.h>

#include <array>

namespace plexus::kernel {
namespace {

using sdk::errc;
using sdk::status;

/// How RabbitMQ names a value's type in its argument errors.
std::string_view type_name(const sdk::header_value& v)
{
    switch (v.index()) {
        case 1:
            return "bool";
        case 2:
            return "signedint";
        case 3:
            return "double";
        case 4:
            return "longstr";
        default:
            return "void";
    }
}

std::string value_text(const sdk::header_value& v)
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
            return "";
    }
}

status invalid(std::string_view arg, std::string_view what, std::string_view why)
{
    return status(errc::precondition_failed, fmt::format("invalid arg '{}' for {}: {}", arg, what, why));
}

enum class bound : std::uint8_t
{
    non_negative,
    positive
};

/// An integer argument in range; `why` is set when present but unacceptable.
std::optional<std::int64_t> integer_arg(const sdk::headers& args,
                                        std::string_view arg,
                                        bound b,
                                        std::string_view what,
                                        status& why)
{
    const auto* v = sdk::find_header(args, arg);
    if (v == nullptr) {
        return std::nullopt;
    }
    const auto* i = std::get_if<std::int64_t>(v);
    if (i == nullptr) {
        why = invalid(arg, what, fmt::format("{{unacceptable_type,{}}}", type_name(*v)));
        return std::nullopt;
    }
    if (*i < 0) {
        why = invalid(arg, what, fmt::format("{{value_negative,{}}}", *i));
        return std::nullopt;
    }
    if (*i == 0 && b == bound::positive) {
        why = invalid(arg, what, "{value_zero,0}");
        return std::nullopt;
    }
    return *i;
}

std::optional<std::string> string_arg(const sdk::headers& args,
                                      std::string_view arg,
                                      std::string_view what,
                                      status& why)
{
    const auto* v = sdk::find_header(args, arg);
    if (v == nullptr) {
        return std::nullopt;
    }
    const auto* s = std::get_if<std::string>(v);
    if (s == nullptr) {
        why = invalid(arg, what, fmt::format("{{unacceptable_type,{}}}", type_name(*v)));
        return std::nullopt;
    }
    return *s;
}

/// The arguments a redeclare must repeat unchanged (RabbitMQ's list for classic queues).
constexpr std::array<std::string_view, 10> policy_arguments{
    "x-message-ttl",
    "x-expires",
    "x-max-length",
    "x-max-length-bytes",
    "x-overflow",
    "x-dead-letter-exchange",
    "x-dead-letter-routing-key",
    "x-max-priority",
    "x-single-active-consumer",
    "x-queue-type",
};

} // namespace

sdk::result<queue_policy> parse_queue_policy(const sdk::headers& args, std::string_view what)
{
    queue_policy p;
    status why;
    p.message_ttl_ms = integer_arg(args, "x-message-ttl", bound::non_negative, what, why);
    p.expires_ms = integer_arg(args, "x-expires", bound::positive, what, why);
    if (auto n = integer_arg(args, "x-max-length", bound::non_negative, what, why)) {
        p.max_length = static_cast<std::uint64_t>(*n);
    }
    if (auto n = integer_arg(args, "x-max-length-bytes", bound::non_negative, what, why)) {
        p.max_length_bytes = static_cast<std::uint64_t>(*n);
    }
    if (auto n = integer_arg(args, "x-max-priority", bound::non_negative, what, why)) {
        if (*n > 255) {
            return invalid("x-max-priority", what, fmt::format("{{value_too_large,{},255}}", *n));
        }
        p.max_priority = static_cast<std::uint8_t>(*n);
    }
    if (auto o = string_arg(args, "x-overflow", what, why)) {
        if (*o == "drop-head") {
            p.overflow = overflow_policy::drop_head;
        } else if (*o == "reject-publish") {
            p.overflow = overflow_policy::reject_publish;
        } else if (*o == "reject-publish-dlx") {
            p.overflow = overflow_policy::reject_publish_dlx;
        } else {
            return invalid("x-overflow", what, fmt::format("{{invalid_overflow,<<\"{}\">>}}", *o));
        }
    }
    p.dead_letter_exchange = string_arg(args, "x-dead-letter-exchange", what, why);
    p.dead_letter_routing_key = string_arg(args, "x-dead-letter-routing-key", what, why);
    if (!why.ok()) {
        return why;
    }
    if (p.dead_letter_routing_key && !p.dead_letter_exchange) {
        return invalid("x-dead-letter-routing-key",
                       what,
                       "x-dead-letter-routing-key defined, but x-dead-letter-exchange not defined");
    }
    return p;
}

std::optional<std::string> inequivalent_policy_argument(const sdk::headers& received,
                                                        const sdk::headers& current,
                                                        std::string_view what)
{
    for (auto arg : policy_arguments) {
        const auto* r = sdk::find_header(received, arg);
        const auto* c = sdk::find_header(current, arg);
        if (r == nullptr && c == nullptr) {
            continue;
        }
        if (r != nullptr && c != nullptr && *r == *c) {
            continue;
        }
        const std::string got = r == nullptr
                                  ? std::string("none")
                                  : fmt::format("the value '{}' of type '{}'", value_text(*r), type_name(*r));
        const std::string have =
          c == nullptr ? std::string("none") : fmt::format("'{}' of type '{}'", value_text(*c), type_name(*c));
        return fmt::format("inequivalent arg '{}' for {}: received {} but current is {}", arg, what, got, have);
    }
    return std::nullopt;
}

} // namespace plexus::kernel
