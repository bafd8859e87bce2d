// Dead-letter history: why and where a message was dead-lettered, carried with it.
//
// The kernel writes it when a queue dead-letters a message (rejected, expired, over its max
// length) into one protocol-neutral header, `x-plexus-death`, newest entry first. Gateways
// render it in their protocol's terms: the AMQP gateway as RabbitMQ's `x-death` array of
// tables, so clients written for RabbitMQ read the same fields.
#pragma once

#include "plexus/sdk/field_codec.h"
#include "plexus/sdk/message.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace plexus::sdk {

/// The header the history travels in (a string holding encode_deaths()).
inline constexpr std::string_view death_header = "x-plexus-death";

/// One (queue, reason) pair of a message's history. A message dead-lettered again from the
/// same queue for the same reason bumps `count` and moves the entry to the front.
struct death_entry
{
    std::string queue;
    std::string reason; ///< "rejected", "expired", "maxlen"
    std::uint64_t count = 1;
    std::int64_t time_ms = 0; ///< when it last happened (wall clock)
    std::string exchange;     ///< where the message had been published
    std::vector<std::string> routing_keys;
    std::optional<std::int64_t> original_ttl_ms; ///< the per-message TTL it had, now removed
    bool operator==(const death_entry&) const = default;
};

inline std::string encode_deaths(const std::vector<death_entry>& deaths)
{
    std::string out;
    put_varint(out, deaths.size());
    for (const auto& d : deaths) {
        put_string(out, d.queue);
        put_string(out, d.reason);
        put_varint(out, d.count);
        put_varint(out, zigzag(d.time_ms));
        put_string(out, d.exchange);
        put_varint(out, d.routing_keys.size());
        for (const auto& k : d.routing_keys) {
            put_string(out, k);
        }
        out.push_back(d.original_ttl_ms ? 1 : 0);
        if (d.original_ttl_ms) {
            put_varint(out, zigzag(*d.original_ttl_ms));
        }
    }
    return out;
}

/// nullopt when `in` is not what encode_deaths() writes.
inline std::optional<std::vector<death_entry>> decode_deaths(std::string_view in)
{
    field_reader r(in);
    const std::uint64_t n = r.varint();
    if (!r.ok() || n > r.remaining()) {
        return std::nullopt;
    }
    std::vector<death_entry> deaths;
    deaths.reserve(n);
    for (std::uint64_t i = 0; i < n && r.ok(); ++i) {
        death_entry d;
        d.queue = r.string();
        d.reason = r.string();
        d.count = r.varint();
        d.time_ms = r.signed_varint();
        d.exchange = r.string();
        const std::uint64_t keys = r.varint();
        if (!r.ok() || keys > r.remaining()) {
            return std::nullopt;
        }
        for (std::uint64_t k = 0; k < keys; ++k) {
            d.routing_keys.push_back(r.string());
        }
        if (r.u8() != 0) {
            d.original_ttl_ms = r.signed_varint();
        }
        deaths.push_back(std::move(d));
    }
    if (!r.ok() || r.remaining() != 0) {
        return std::nullopt;
    }
    return deaths;
}

/// The history `msg` carries; empty when it has none (or an unreadable one).
inline std::vector<death_entry> deaths_of(const message& msg)
{
    if (const auto* v = find_header(msg.headers_, death_header)) {
        if (const auto* s = std::get_if<std::string>(v)) {
            if (auto d = decode_deaths(*s)) {
                return std::move(*d);
            }
        }
    }
    return {};
}

} // namespace plexus::sdk
