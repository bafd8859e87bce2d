// STOMP 1.2 on a plain TCP socket (stomp_frame.h): no client library, as none is packaged for
// C or C++ in Debian. One connection per publisher and subscriber. Each destination is a queue
// `/queue/plexus-bench-<run>-q<i>`; with --fanout N it is the topic
// `/topic/plexus-bench-<run>` with one subscriber per destination. Subscriptions are
// ack:auto, or ack:client-individual with --manual-ack (every message acked by its id);
// --prefetch sets prefetch-count; --confirm W asks a receipt for every SEND with at most W
// outstanding.
#pragma once

#include "driver.h"

namespace plexus::bench {

std::unique_ptr<driver> make_stomp_driver(const options& o);

} // namespace plexus::bench
