// Declare, bind and consume arguments as the kernel takes them: an AMQP field table becomes
// sdk::headers (the kernel compares and stores values, not AMQP tags). Integers of every
// width become int64, floats double, strings and byte arrays strings, void empty; tables,
// arrays and decimals, which no kernel argument uses, travel as their AMQP encoding.
#pragma once

#include "field_table.h"
#include "plexus/sdk/message.h"

namespace plexus::protocol::amqp091 {

sdk::headers to_arguments(const field_table& t);

/// The scalar a field value maps to; nullopt for tables, arrays and decimals.
std::optional<sdk::header_value> to_scalar(const field_value& v);

} // namespace plexus::protocol::amqp091
