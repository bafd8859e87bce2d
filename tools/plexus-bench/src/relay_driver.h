// The floor under every broker's latency: a relay in plexus-bench's own process that does no
// work, so a run through it measures what the machine charges for two loopback TCP hops and
// three thread wake-ups, with the same pacing, blocking reads and histogram as a broker run.
// A fixed-rate run through a broker cannot have a lower latency than this one on the same
// machine (bench/protocols/README.md, "The floor").
//
// The relay listens on 127.0.0.1 (a free port; --host and --port are not used), reads each
// publisher's length-prefixed messages and writes them to the subscriber of every destination
// (so --fanout N copies each message N times). One publisher: the relay forwards bytes as they
// come and would interleave two publishers' messages.
#pragma once

#include "driver.h"

namespace plexus::bench {

std::unique_ptr<driver> make_relay_driver(const options& o);

} // namespace plexus::bench
