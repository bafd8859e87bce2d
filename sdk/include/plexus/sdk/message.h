// message: what every protocol publishes and consumes. Immutable once published and shared by
// reference (message_ptr) between the network, storage and every subscriber; the body is a
// buffer_chain of shared slices, never copied on the way.
//
// The property set is the union the gateways need (AMQP basic properties, MQTT 5 properties,
// STOMP headers, Kafka key/timestamp/headers); what has no field travels as a header named
// with the `x-plexus-` prefix (docs/interop.md).
#pragma once

#include "plexus/sdk/buffer_chain.h"
#include "plexus/sdk/result.h"
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

/// Records kept in the form a protocol sent them (ADR 0019), e.g. Kafka RecordBatch v2 bytes,
/// so that the protocol can serve them back without re-encoding and compressed batches stay
/// compressed. Engines treat `bytes` as opaque except for the offset slots they fill in.
struct encoded_records
{
    /// Which record_format decodes the bytes, e.g. "kafka.v2".
    std::string format;
    buffer_chain bytes;
    /// The records the bytes hold; they take `count` dense offsets.
    std::uint32_t count = 0;
    /// The newest record timestamp (time retention and offset_for_timestamp use it).
    timestamp_ms max_timestamp{ 0 };
    /// Where the bytes hold record offsets: at byte `at`, a big-endian int64 that an engine
    /// sets on append to the offset of record number `first_record` (0-based in the batch).
    /// Kafka has one per RecordBatch (its baseOffset). Read back, the bytes hold the offsets
    /// and this list is empty.
    struct offset_slot
    {
        std::uint32_t at = 0;
        std::uint32_t first_record = 0;
        bool operator==(const offset_slot&) const = default;
    };
    std::vector<offset_slot> offset_slots;
};

/// Records appended to or read from a log, in offset order: messages, or one encoded form
/// (never both). On append `base_offset` is ignored (the log assigns offsets); on read it is
/// the offset of the first record and records are dense. An encoded batch read back may begin
/// below the offset asked for: it is returned whole.
struct record_batch
{
    offset base_offset{ 0 };
    std::vector<message_ptr> records;
    std::optional<encoded_records> encoded;

    std::size_t size() const noexcept { return encoded ? encoded->count : records.size(); }
    bool empty() const noexcept { return size() == 0; }
    offset last_offset() const noexcept { return base_offset + static_cast<std::int64_t>(size()) - 1; }
    /// Approximate stored bytes (max-bytes limits, size retention).
    std::size_t size_bytes() const noexcept
    {
        if (encoded) {
            return encoded->bytes.size();
        }
        std::size_t n = 0;
        for (const auto& m : records) {
            n += m ? m->size_bytes() : 0;
        }
        return n;
    }
};

/// Decodes the encoded_records of one format into messages, for readers that need messages
/// (an AMQP stream consumer, a stream forwarding to an exchange). Registered by the protocol
/// plugin that produces the format (protocol_factory::record_formats()).
class record_format
{
  public:
    /// The name encoded_records::format carries.
    virtual std::string_view name() const noexcept = 0;
    /// Every record of `bytes`, in order (they take dense offsets from the batch's base);
    /// `routing_key` is set on each (the stream's name). Fails with corruption on bytes that
    /// are not in this format.
    virtual result<std::vector<message_ptr>> decode(const buffer_chain& bytes,
                                                    std::string_view routing_key) const noexcept = 0;
    /// What compaction needs of one record: its key, and whether it marks the key deleted.
    struct record_key
    {
        std::string key;
        bool tombstone = false; ///< e.g. a Kafka record with a null value
        timestamp_ms timestamp{ 0 };
    };
    /// The key of every record of `bytes`, in order. Fails as decode() does.
    virtual result<std::vector<record_key>> keys(const buffer_chain& bytes) const noexcept = 0;
    /// The records of `bytes` (whose first record has offset `base`) for which `keep` (one
    /// entry per record) is true, re-encoded as batches of this format, each of dense
    /// records, in offset order, with base_offset set (and their offset slots): what a
    /// compaction writes back. Fails as decode() does.
    virtual result<std::vector<record_batch>> retain(const buffer_chain& bytes,
                                                     offset base,
                                                     const std::vector<bool>& keep) const noexcept = 0;

  protected:
    ~record_format() = default; // owned by its plugin's factory
};

} // namespace plexus::sdk
