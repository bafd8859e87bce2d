// What a queue's declare arguments ask of it: TTLs, length limits and what happens at them,
// dead-lettering and priorities (the x- arguments RabbitMQ defines, which every gateway uses
// as the kernel's names for them).
//
// Parsed once at declare (a bad value refuses the declare, naming the argument, as RabbitMQ
// does) and again when a durable queue is restored.
#pragma once

#include "plexus/sdk/message.h"
#include "plexus/sdk/result.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace plexus::kernel {

/// What a queue at its max length does with one message more.
enum class overflow_policy : std::uint8_t
{
    drop_head,         ///< the oldest ready message goes (dead-lettered when configured)
    reject_publish,    ///< the new message is refused (the publisher's confirm is a nack)
    reject_publish_dlx ///< refused, and dead-lettered
};

struct queue_policy
{
    std::optional<std::int64_t> message_ttl_ms;    ///< x-message-ttl
    std::optional<std::int64_t> expires_ms;        ///< x-expires: deleted after so long unused
    std::optional<std::uint64_t> max_length;       ///< x-max-length: ready messages
    std::optional<std::uint64_t> max_length_bytes; ///< x-max-length-bytes: ready body bytes
    overflow_policy overflow = overflow_policy::drop_head;
    std::optional<std::string> dead_letter_exchange;    ///< x-dead-letter-exchange ("" = default)
    std::optional<std::string> dead_letter_routing_key; ///< x-dead-letter-routing-key
    std::uint8_t max_priority = 0;                      ///< x-max-priority; 0 = no priorities

    bool has_length_limit() const noexcept { return max_length || max_length_bytes; }
};

/// Reads the policy arguments of `args`; precondition_failed naming the argument and `what`
/// ("queue 'q' in vhost '/'") when one has the wrong type or range. Other arguments are ignored.
sdk::result<queue_policy> parse_queue_policy(const sdk::headers& args, std::string_view what);

/// A redeclare must ask for the same policy: the first policy argument whose value differs
/// between `received` and `current`, as RabbitMQ words it; nullopt when they agree.
std::optional<std::string> inequivalent_policy_argument(const sdk::headers& received,
                                                        const sdk::headers& current,
                                                        std::string_view what);

} // namespace plexus::kernel
