// Between STOMP frames and the kernel's message (docs/protocols/stomp.md has the table). The
// headers that RabbitMQ's STOMP plugin maps onto AMQP properties map onto the same
// message_properties fields the amqp091 gateway fills, so a message crosses between the two
// protocols with its properties:
//   content-type, content-encoding, correlation-id, reply-to, type, user-id, app-id  ⇄ the field
//   amqp-message-id ⇄ message_id (STOMP's own message-id names the delivery)
//   persistent:true ⇄ persistent     priority ⇄ priority     expiration (ms) ⇄ ttl_ms
//   timestamp (seconds) ⇄ timestamp
// Every other header is carried as a message header with a string value; headers from other
// protocols come out with their value as text (integers in decimal, booleans as true/false).
#pragma once

#include "frame.h"
#include "frame_parser.h"
#include "version.h"
#include "plexus/sdk/message.h"

#include <memory>
#include <string_view>
#include <variant>

namespace plexus::protocol::stomp {

/// The message a SEND becomes (exchange and routing key not yet set), or the ERROR for a
/// header with a bad value. `now_ms` (wall clock, ms since the epoch) turns ActiveMQ's
/// absolute `expires` into a time to live.
std::variant<std::shared_ptr<sdk::message>, frame_error> to_message(const frame& send,
                                                                    std::string_view authenticated_user,
                                                                    std::int64_t now_ms);

/// Adds the property and custom headers of `msg` to a MESSAGE being built (after its
/// subscription, destination, message-id and ack headers, which win over any copy of them
/// among the custom ones). Headers 1.0 cannot carry (a LF or a colon in the name) are left out.
void add_message_headers(const sdk::message& msg, version v, frame& out);

} // namespace plexus::protocol::stomp
