// MQTT 5 properties (spec §2.2.2): a variable-byte-integer length, then identifier / value
// pairs. Each identifier has one value type and a set of packets it may appear in; all but
// user properties and subscription identifiers may appear at most once (a protocol error
// otherwise). 3.1.1 packets carry no properties.
#pragma once

#include "wire.h"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace plexus::protocol::mqtt {

enum class packet_type : std::uint8_t
{
    reserved = 0,
    connect = 1,
    connack = 2,
    publish = 3,
    puback = 4,
    pubrec = 5,
    pubrel = 6,
    pubcomp = 7,
    subscribe = 8,
    suback = 9,
    unsubscribe = 10,
    unsuback = 11,
    pingreq = 12,
    pingresp = 13,
    disconnect = 14,
    auth = 15,
};

/// Where a property list sits: a packet, or the will properties of a CONNECT (which use the
/// reserved type 0 as their slot in the allowed-in masks).
using property_context = packet_type;
inline constexpr property_context will_properties = packet_type::reserved;

using user_property = std::pair<std::string, std::string>;

struct properties
{
    std::optional<std::uint8_t> payload_format_indicator;          // 0x01
    std::optional<std::uint32_t> message_expiry_interval;          // 0x02
    std::optional<std::string> content_type;                       // 0x03
    std::optional<std::string> response_topic;                     // 0x08
    std::optional<std::string> correlation_data;                   // 0x09
    std::vector<std::uint32_t> subscription_identifiers;           // 0x0B
    std::optional<std::uint32_t> session_expiry_interval;          // 0x11
    std::optional<std::string> assigned_client_identifier;         // 0x12
    std::optional<std::uint16_t> server_keep_alive;                // 0x13
    std::optional<std::string> authentication_method;              // 0x15
    std::optional<std::string> authentication_data;                // 0x16
    std::optional<std::uint8_t> request_problem_information;       // 0x17
    std::optional<std::uint32_t> will_delay_interval;              // 0x18
    std::optional<std::uint8_t> request_response_information;      // 0x19
    std::optional<std::string> response_information;               // 0x1A
    std::optional<std::string> server_reference;                   // 0x1C
    std::optional<std::string> reason_string;                      // 0x1F
    std::optional<std::uint16_t> receive_maximum;                  // 0x21
    std::optional<std::uint16_t> topic_alias_maximum;              // 0x22
    std::optional<std::uint16_t> topic_alias;                      // 0x23
    std::optional<std::uint8_t> maximum_qos;                       // 0x24
    std::optional<std::uint8_t> retain_available;                  // 0x25
    std::vector<user_property> user_properties;                    // 0x26
    std::optional<std::uint32_t> maximum_packet_size;              // 0x27
    std::optional<std::uint8_t> wildcard_subscription_available;   // 0x28
    std::optional<std::uint8_t> subscription_identifier_available; // 0x29
    std::optional<std::uint8_t> shared_subscription_available;     // 0x2A

    bool operator==(const properties&) const = default;
};

/// Reads a property list (length included) for `context`; failures latch in `r`: malformed
/// for an unknown identifier or a list that overruns, protocol error for a property repeated
/// or not allowed in `context`, or a value out of its range.
properties read_properties(wire_reader& r, property_context context);

/// Writes `p` as a property list, length included.
void write_properties(wire_writer& w, const properties& p);

/// The bytes write_properties() produces for `p`, length prefix included.
std::size_t properties_size(const properties& p);

} // namespace plexus::protocol::mqtt
