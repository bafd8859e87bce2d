// The content header frame of class basic (spec §4.2.6.1): class id, weight, body size, then
// the basic properties behind a 16-bit presence mask (bit 15 = content-type … bit 2 =
// cluster-id; bit 0 would announce a second mask, which basic never needs).
#pragma once

#include "field_table.h"

#include <cstdint>
#include <optional>
#include <string>

namespace plexus::protocol::amqp091 {

struct basic_properties
{
    std::optional<std::string> content_type;
    std::optional<std::string> content_encoding;
    std::optional<field_table> headers;
    std::optional<std::uint8_t> delivery_mode; ///< 1 transient, 2 persistent
    std::optional<std::uint8_t> priority;
    std::optional<std::string> correlation_id;
    std::optional<std::string> reply_to;
    std::optional<std::string> expiration; ///< milliseconds, as a decimal string
    std::optional<std::string> message_id;
    std::optional<std::uint64_t> timestamp; ///< seconds since the epoch
    std::optional<std::string> type;
    std::optional<std::string> user_id;
    std::optional<std::string> app_id;
    std::optional<std::string> cluster_id; ///< deprecated, carried through
    bool operator==(const basic_properties&) const = default;
};

struct content_header
{
    std::uint16_t class_id = 60;
    std::uint64_t body_size = 0;
    basic_properties properties;
};

/// A header frame's payload. Flag bits no property has fail with syntax-error (502), data
/// that ends early with frame-error (501).
content_header read_content_header(wire_reader& r);

/// Appends a header frame's payload for class basic.
void write_content_header(wire_writer& w, std::uint64_t body_size, const basic_properties& p);

/// Appends a whole header frame.
void append_header_frame(std::string& out, std::uint16_t channel, std::uint64_t body_size, const basic_properties& p);

} // namespace plexus::protocol::amqp091
