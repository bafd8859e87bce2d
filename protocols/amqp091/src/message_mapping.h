// Between AMQP content and the kernel's message (docs/protocols/amqp091.md has the table):
// basic properties map to message_properties, the headers table to sdk::headers.
//
// sdk::headers hold only scalars, so two things ride along in x-plexus- headers (the interop
// rule: nothing is dropped silently):
//   x-plexus-amqp-types       one character per header, in order: '.' where the value's own
//                             type is how AMQP sends it again (t, I/l, d, S, V), else the
//                             original tag (b, u, T, x, f, F, A, D, …), so AMQP consumers get
//                             the table back with its exact types; present only when needed.
//                             Tables, arrays and decimals travel as their AMQP encoding.
//   x-plexus-amqp-cluster-id  the deprecated cluster-id property.
#pragma once

#include "amqp_error.h"
#include "methods.h"
#include "properties.h"
#include "plexus/sdk/message.h"

#include <string_view>
#include <variant>

namespace plexus::protocol::amqp091 {

inline constexpr std::string_view types_header = "x-plexus-amqp-types";
inline constexpr std::string_view cluster_id_header = "x-plexus-amqp-cluster-id";

/// The message a basic.publish with this header and body becomes, or the 406 RabbitMQ sends
/// for it (an expiration that is not a number, a user-id that is not the connection's user).
std::variant<sdk::message_ptr, amqp_error> to_message(const basic_publish& publish,
                                                      basic_properties&& properties,
                                                      sdk::buffer_chain body,
                                                      std::string_view authenticated_user);

/// The basic properties a delivery of `msg` carries.
basic_properties to_properties(const sdk::message& msg);

/// A headers table as sdk::headers plus, when needed, the types header.
sdk::headers to_headers(const field_table& table);
/// sdk::headers (with or without the x-plexus-amqp headers) as an AMQP table.
field_table to_table(const sdk::headers& headers);

} // namespace plexus::protocol::amqp091
