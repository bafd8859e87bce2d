// MQTT packets from and to bytes, for both protocol versions.
//
// Decoding checks everything the spec calls malformed or a protocol error that can be seen in
// one packet alone: reserved fixed-header flags, QoS 3, a DUP flag on QoS 0, wildcards in a
// PUBLISH topic, invalid filters, empty SUBSCRIBE / UNSUBSCRIBE, reserved option bits,
// properties (properties.h) and UTF-8 (utf8.h). What needs session state (topic aliases,
// receive maximum, packet ids) is the session's job.
#pragma once

#include "frame.h"
#include "packets.h"

#include <variant>

namespace plexus::protocol::mqtt {

using decoded = std::variant<packet, decode_error>;

/// Decodes a packet of a connection whose CONNECT said `version`. The first packet of a
/// connection is decoded with decode_connect() instead.
decoded decode_packet(const raw_packet& raw, protocol_version version);

/// Decodes CONNECT, which says the version itself. An unknown protocol name or level is
/// unsupported_protocol_version (the session answers it in the 3.1.1 CONNACK format).
decoded decode_connect(const raw_packet& raw);

/// The wire form of a packet the server sends (CONNACK, PUBLISH, the acks, SUBACK, UNSUBACK,
/// PINGRESP, DISCONNECT). PUBLISH payloads are shared, not copied. Clients' packets encode
/// too, for the tests.
sdk::buffer_chain encode_packet(const packet& p, protocol_version version);
/// The same for a PUBLISH, without first copying it into a `packet` (every delivery).
sdk::buffer_chain encode_packet(const publish_packet& p, protocol_version version);

/// The size encode_packet() would produce for a PUBLISH (to honour the client's maximum
/// packet size without encoding first).
std::size_t publish_wire_size(const publish_packet& p, protocol_version version);

} // namespace plexus::protocol::mqtt
