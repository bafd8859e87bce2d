// Between MQTT PUBLISH packets and the kernel's message (docs/protocols/mqtt.md has the
// table): the topic is the amq.topic routing key (topic.h), content type, correlation data,
// response topic and message expiry map to message_properties, user properties to string
// headers in order. What has no field rides in x-plexus-mqtt- headers, which MQTT
// subscribers do not see as user properties:
//   x-plexus-mqtt-qos              the QoS it was published with
//   x-plexus-mqtt-retain           true when it was published with RETAIN
//   x-plexus-mqtt-publisher        the publisher's client id (for no-local subscriptions)
//   x-plexus-mqtt-payload-format   the payload format indicator (1: UTF-8)
#pragma once

#include "packets.h"
#include "plexus/sdk/message.h"

#include <optional>
#include <string_view>

namespace plexus::protocol::mqtt {

inline constexpr std::string_view topic_exchange = "amq.topic";
inline constexpr std::string_view qos_header = "x-plexus-mqtt-qos";
inline constexpr std::string_view retain_header = "x-plexus-mqtt-retain";
inline constexpr std::string_view publisher_header = "x-plexus-mqtt-publisher";
inline constexpr std::string_view payload_format_header = "x-plexus-mqtt-payload-format";

/// The message a PUBLISH (its topic resolved from any alias) becomes; `now` stamps it, so
/// that message expiry can be counted down on delivery.
sdk::message_ptr to_message(const publish_packet& p,
                            std::string_view client_id,
                            sdk::timestamp_ms now,
                            std::string_view exchange = topic_exchange);

/// What a delivery of `msg` looks like to an MQTT subscriber, before the session picks QoS,
/// packet id, RETAIN and subscription ids. nullopt when the message has expired by `now`.
std::optional<publish_packet> to_publish(const sdk::message& msg, sdk::timestamp_ms now);

/// The QoS `msg` was published with; messages from other protocols count as QoS 2, so the
/// subscription's granted QoS decides.
std::uint8_t published_qos(const sdk::message& msg);
bool published_retained(const sdk::message& msg);
/// The MQTT client id that published `msg`; empty for other protocols.
std::string_view publisher_of(const sdk::message& msg);

} // namespace plexus::protocol::mqtt
