// MQTT 5 reason codes (spec §2.4) and the MQTT 3.1.1 CONNACK return codes (§3.2.2.3). One
// byte each on the wire; 3.1.1 has no reason codes outside CONNACK and SUBACK.
#pragma once

#include <cstdint>

namespace plexus::protocol::mqtt {

enum class reason_code : std::uint8_t
{
    success = 0x00, // also: normal disconnection, granted QoS 0
    granted_qos_1 = 0x01,
    granted_qos_2 = 0x02,
    disconnect_with_will = 0x04,
    no_matching_subscribers = 0x10,
    no_subscription_existed = 0x11,
    unspecified_error = 0x80,
    malformed_packet = 0x81,
    protocol_error = 0x82,
    implementation_specific_error = 0x83,
    unsupported_protocol_version = 0x84,
    client_identifier_not_valid = 0x85,
    bad_user_name_or_password = 0x86,
    not_authorized = 0x87,
    server_unavailable = 0x88,
    server_busy = 0x89,
    server_shutting_down = 0x8B,
    bad_authentication_method = 0x8C,
    keep_alive_timeout = 0x8D,
    session_taken_over = 0x8E,
    topic_filter_invalid = 0x8F,
    topic_name_invalid = 0x90,
    packet_identifier_in_use = 0x91,
    packet_identifier_not_found = 0x92,
    receive_maximum_exceeded = 0x93,
    topic_alias_invalid = 0x94,
    packet_too_large = 0x95,
    quota_exceeded = 0x97,
    payload_format_invalid = 0x99,
    qos_not_supported = 0x9B,
    shared_subscriptions_not_supported = 0x9E,
    subscription_identifiers_not_supported = 0xA1,
    wildcard_subscriptions_not_supported = 0xA2,
};

/// MQTT 3.1.1 CONNACK return codes.
enum class connect_return_code : std::uint8_t
{
    accepted = 0,
    unacceptable_protocol_version = 1,
    identifier_rejected = 2,
    server_unavailable = 3,
    bad_user_name_or_password = 4,
    not_authorized = 5,
};

/// The 3.1.1 CONNACK return code closest to a v5 CONNACK reason code.
connect_return_code to_connect_return_code(reason_code r) noexcept;

/// "protocol error (0x82)" for logs.
const char* describe(reason_code r) noexcept;

} // namespace plexus::protocol::mqtt
