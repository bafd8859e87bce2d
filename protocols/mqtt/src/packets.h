// One struct per MQTT control packet, as both versions share them: 3.1.1 packets simply
// have no properties and fewer reason codes (spec 3.1.1 §3, 5.0 §3).
#pragma once

#include "properties.h"
#include "reason_code.h"
#include "plexus/sdk/buffer_chain.h"

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace plexus::protocol::mqtt {

/// The CONNECT protocol level.
enum class protocol_version : std::uint8_t
{
    v31 = 3,  ///< "MQIsdp", MQTT 3.1: decoded as 3.1.1
    v311 = 4, ///< "MQTT" 3.1.1
    v5 = 5,   ///< "MQTT" 5.0
};

struct will_message
{
    std::string topic;
    std::string payload;
    std::uint8_t qos = 0;
    bool retain = false;
    properties props; ///< v5 will properties (will delay, expiry, content type, …)
    bool operator==(const will_message&) const = default;
};

struct connect_packet
{
    protocol_version version = protocol_version::v311;
    bool clean_start = true;
    std::uint16_t keep_alive = 0;
    properties props;
    std::string client_id;
    std::optional<will_message> will;
    std::optional<std::string> username;
    std::optional<std::string> password;
    bool operator==(const connect_packet&) const = default;
};

struct connack_packet
{
    bool session_present = false;
    /// The v5 reason code; 3.1.1 sends to_connect_return_code() of it.
    reason_code reason = reason_code::success;
    properties props;
};

struct publish_packet
{
    bool dup = false;
    std::uint8_t qos = 0;
    bool retain = false;
    std::string topic;
    std::uint16_t packet_id = 0; ///< only with QoS 1 and 2
    properties props;
    sdk::buffer_chain payload;
};

/// PUBACK, PUBREC, PUBREL and PUBCOMP: a packet id, and in v5 a reason code and properties.
struct ack_packet
{
    packet_type type = packet_type::puback;
    std::uint16_t packet_id = 0;
    reason_code reason = reason_code::success;
    properties props;
};

struct subscription_option
{
    std::string filter;
    std::uint8_t qos = 0;
    bool no_local = false;            ///< v5
    bool retain_as_published = false; ///< v5
    std::uint8_t retain_handling = 0; ///< v5: 0 send retained, 1 only if new, 2 never
    bool operator==(const subscription_option&) const = default;
};

struct subscribe_packet
{
    std::uint16_t packet_id = 0;
    properties props;
    std::vector<subscription_option> topics;
};

struct suback_packet
{
    std::uint16_t packet_id = 0;
    properties props;
    std::vector<reason_code> reasons; ///< 3.1.1: 0, 1, 2 or 0x80
};

struct unsubscribe_packet
{
    std::uint16_t packet_id = 0;
    properties props;
    std::vector<std::string> filters;
};

struct unsuback_packet
{
    std::uint16_t packet_id = 0;
    properties props;
    std::vector<reason_code> reasons; ///< v5 only
};

struct pingreq_packet
{};
struct pingresp_packet
{};

struct disconnect_packet
{
    reason_code reason = reason_code::success;
    properties props;
};

struct auth_packet
{
    reason_code reason = reason_code::success;
    properties props;
};

using packet = std::variant<connect_packet,
                            connack_packet,
                            publish_packet,
                            ack_packet,
                            subscribe_packet,
                            suback_packet,
                            unsubscribe_packet,
                            unsuback_packet,
                            pingreq_packet,
                            pingresp_packet,
                            disconnect_packet,
                            auth_packet>;

/// Why a packet was refused: the v5 reason code (3.1.1 closes without one) and a text for logs.
struct decode_error
{
    reason_code code = reason_code::malformed_packet;
    std::string text;
};

} // namespace plexus::protocol::mqtt
