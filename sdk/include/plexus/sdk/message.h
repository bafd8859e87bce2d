// message: what every protocol publishes and consumes. Immutable once published and shared by
// reference (message_ptr) between the network, storage and every subscriber; the body is a
// buffer_chain of shared slices, never copied on the way.
//
// The property set is the union the gateways need (AMQP basic properties, MQTT 5 properties,
// STOMP headers, Kafka key/timestamp/headers); what has no field travels as a header named
// with the `x-plexus-` prefix (docs/interop.md).
#pragma once

#include "plexus/sdk/buffer_chain.h"
#include "plexus/sdk/strong_types.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace plexus::sdk {

/// A header value: the scalar types AMQP tables, MQTT user properties, STOMP headers and Kafka
/// headers have in common. Bytes travel as std::string.
using header_value = std::variant<std::monostate, bool, std::int64_t, double, std::string>;

struct header
{
    std::string key;
    header_value value;
    bool operator==(const header&) const = default;
};

/// Ordered (protocols care about order and duplicates, e.g. MQTT user properties).
using headers = std::vector<header>;

/// Headers that the kernel and the gateways keep for themselves start with this
/// (docs/interop.md); a gateway shows clients only the ones it knows how to render.
inline constexpr std::string_view internal_header_prefix = "x-plexus-";

inline bool is_internal_header(std::string_view key) noexcept
{
    return key.starts_with(internal_header_prefix);
}

/// First header with this key, or nullptr.
inline const header_value* find_header(const headers& h, std::string_view key) noexcept
{
    for (const auto& e : h) {
        if (e.key == key) {
            return &e.value;
        }
    }
    return nullptr;
}

struct message_properties
{
    std::string content_type;
    std::string content_encoding;
    std::string correlation_id;
    std::string reply_to;
    std::string message_id;
    std::string type;
    std::string user_id;
    std::string app_id;
    /// Per-message time to live; the queue drops or dead-letters the message after it.
    std::optional<std::int64_t> ttl_ms;
    std::uint8_t priority = 0;
    bool persistent = false;
    bool operator==(const message_properties&) const = default;
};

class message
{
  public:
    /// Where it was published: the exchange and routing key (MQTT topic a/b maps to key a.b).
    std::string exchange;
    std::string routing_key;
    /// Kafka record key (also the partitioning key); empty when absent.
    std::string key;
    timestamp_ms timestamp{ 0 };
    message_properties properties;
    headers headers_;
    buffer_chain body;

    /// Approximate footprint for max-bytes limits and read budgets.
    std::size_t size_bytes() const noexcept { return body.size() + routing_key.size() + key.size() + 64; }
};

using message_ptr = std::shared_ptr<const message>;

/// Records appended to or read from a log, in offset order. On append `base_offset` is ignored
/// (the log assigns offsets); on read it is the offset of records[0] and records are dense.
struct record_batch
{
    offset base_offset{ 0 };
    std::vector<message_ptr> records;

    std::size_t size() const noexcept { return records.size(); }
    bool empty() const noexcept { return records.empty(); }
    offset last_offset() const noexcept { return base_offset + static_cast<std::int64_t>(records.size()) - 1; }
};

} // namespace plexus::sdk
