// AMQP 0-9-1 on rabbitmq-c (Debian's librabbitmq): one TCP connection and channel 1 per
// publisher and subscriber, as the library is single-threaded per connection. Topology: one
// queue behind the default exchange, or with --fanout N a fanout exchange with N queues;
// names carry the run id, and clean_up() deletes them.
#pragma once

#include "driver.h"

namespace plexus::bench {

std::unique_ptr<driver> make_amqp_driver(const options& o);

} // namespace plexus::bench
