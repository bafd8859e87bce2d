// Routing a message from the exchange it was published to, through exchange-to-exchange
// bindings and alternate exchanges, to the queues and streams it reaches (AMQP semantics,
// as RabbitMQ routes).
#pragma once

#include "kernel/src/server/broker_core.h"

namespace plexus::kernel {

/// Fills `state.routed` with the queues and streams `msg` reaches from `from` (deduplicated):
/// what an exchange routes to another exchange is routed on by that one, and an exchange
/// that matches nothing hands the message to its alternate exchange, if it has one. Each
/// exchange routes a message at most once, so cycles of bindings end.
void route_message(shard_state& state,
                   const vhost_replica& vhost,
                   const exchange_replica& from,
                   const sdk::message& msg);

} // namespace plexus::kernel
