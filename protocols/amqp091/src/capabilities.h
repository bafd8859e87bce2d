// What each side says about itself in connection.start / start-ok: the server properties and
// capabilities Plexus advertises, and the client capabilities that change what it is sent.
#pragma once

#include "field_table.h"

namespace plexus::protocol::amqp091 {

/// The server-properties table of connection.start. Capabilities are advertised only where
/// the gateway implements them (exchange_exchange_bindings is false: the kernel binds
/// exchanges to queues and streams only).
field_table server_properties();

struct client_capabilities
{
    bool consumer_cancel_notify = false;       ///< wants basic.cancel when its queue goes away
    bool connection_blocked = false;           ///< understands connection.blocked/unblocked
    bool authentication_failure_close = false; ///< wants connection.close on a failed login
};

client_capabilities read_capabilities(const field_table& client_properties);

} // namespace plexus::protocol::amqp091
