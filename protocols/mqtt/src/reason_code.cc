#include "reason_code.h"

namespace plexus::protocol::mqtt {

connect_return_code to_connect_return_code(reason_code r) noexcept
{
    switch (r) {
        case reason_code::success:
            return connect_return_code::accepted;
        case reason_code::unsupported_protocol_version:
            return connect_return_code::unacceptable_protocol_version;
        case reason_code::client_identifier_not_valid:
            return connect_return_code::identifier_rejected;
        case reason_code::bad_user_name_or_password:
            return connect_return_code::bad_user_name_or_password;
        case reason_code::not_authorized:
        case reason_code::bad_authentication_method:
            return connect_return_code::not_authorized;
        default:
            return connect_return_code::server_unavailable;
    }
}

const char* describe(reason_code r) noexcept
{
    switch (r) {
        case reason_code::success:
            return "success (0x00)";
        case reason_code::granted_qos_1:
            return "granted QoS 1 (0x01)";
        case reason_code::granted_qos_2:
            return "granted QoS 2 (0x02)";
        case reason_code::disconnect_with_will:
            return "disconnect with will message (0x04)";
        case reason_code::no_matching_subscribers:
            return "no matching subscribers (0x10)";
        case reason_code::no_subscription_existed:
            return "no subscription existed (0x11)";
        case reason_code::unspecified_error:
            return "unspecified error (0x80)";
        case reason_code::malformed_packet:
            return "malformed packet (0x81)";
        case reason_code::protocol_error:
            return "protocol error (0x82)";
        case reason_code::implementation_specific_error:
            return "implementation specific error (0x83)";
        case reason_code::unsupported_protocol_version:
            return "unsupported protocol version (0x84)";
        case reason_code::client_identifier_not_valid:
            return "client identifier not valid (0x85)";
        case reason_code::bad_user_name_or_password:
            return "bad user name or password (0x86)";
        case reason_code::not_authorized:
            return "not authorized (0x87)";
        case reason_code::server_unavailable:
            return "server unavailable (0x88)";
        case reason_code::server_busy:
            return "server busy (0x89)";
        case reason_code::server_shutting_down:
            return "server shutting down (0x8B)";
        case reason_code::bad_authentication_method:
            return "bad authentication method (0x8C)";
        case reason_code::keep_alive_timeout:
            return "keep alive timeout (0x8D)";
        case reason_code::session_taken_over:
            return "session taken over (0x8E)";
        case reason_code::topic_filter_invalid:
            return "topic filter invalid (0x8F)";
        case reason_code::topic_name_invalid:
            return "topic name invalid (0x90)";
        case reason_code::packet_identifier_in_use:
            return "packet identifier in use (0x91)";
        case reason_code::packet_identifier_not_found:
            return "packet identifier not found (0x92)";
        case reason_code::receive_maximum_exceeded:
            return "receive maximum exceeded (0x93)";
        case reason_code::topic_alias_invalid:
            return "topic alias invalid (0x94)";
        case reason_code::packet_too_large:
            return "packet too large (0x95)";
        case reason_code::quota_exceeded:
            return "quota exceeded (0x97)";
        case reason_code::payload_format_invalid:
            return "payload format invalid (0x99)";
        case reason_code::qos_not_supported:
            return "QoS not supported (0x9B)";
        case reason_code::shared_subscriptions_not_supported:
            return "shared subscriptions not supported (0x9E)";
        case reason_code::subscription_identifiers_not_supported:
            return "subscription identifiers not supported (0xA1)";
        case reason_code::wildcard_subscriptions_not_supported:
            return "wildcard subscriptions not supported (0xA2)";
    }
    return "reason code";
}

} // namespace plexus::protocol::mqtt
