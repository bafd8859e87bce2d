// Kafka on librdkafka's C API (Debian's librdkafka-dev), one client instance and connection
// per publisher and subscriber. prepare() creates the run's topic `plexus-bench-<run id>` with
// one partition through the admin API (CreateTopics) and clean_up() deletes it, so runs never
// see each other's records. Publishers produce to partition 0 with --acks (0, 1 or all) and
// linger.ms from --linger-ms (5 as fast as possible, 0 at a fixed rate); a delivery report
// is a confirm, at most --confirm unreported when given (else librdkafka's own queue limit
// pushes back). Every destination is one consumer that is assigned partition 0 from offset 0
// (no group rebalance, no commits), so --fanout N is N consumers reading the whole topic each;
// with --backlog the assignment waits for the first poll, so that nothing is fetched before
// the runner lets consumers read.
#pragma once

#include "driver.h"

namespace plexus::bench {

std::unique_ptr<driver> make_kafka_driver(const options& o);

} // namespace plexus::bench
