// One run: the driver's publishers and subscribers on threads of their own, payloads stamped
// and checked, latency recorded, and everything counted. Protocol-neutral.
#pragma once

#include "delivery_log.h"
#include "driver.h"
#include "histogram.h"
#include "options.h"

#include <map>
#include <string>

namespace plexus::bench {

struct run_result
{
    std::uint32_t run_id = 0;
    std::string error; // non-empty: the run failed (a driver error); figures are partial

    std::uint64_t sent = 0;
    publisher_counts publishes;
    bool confirms_complete = true; // every confirm arrived before the deadline
    delivery_counts deliveries;
    bool checked = false; // deliveries were checked against what was sent (there were consumers)

    double send_s = 0;          // start to the last publish
    double confirm_s = 0;       // start to the last confirm (a client library may buffer what it was handed)
    double delivery_s = 0;      // start to the last delivery
    double consume_start_s = 0; // start to when consumers began reading (0 but with --backlog)
    double client_cpu_s = 0;
    std::map<std::string, double> cpu_s; // --cpu-pid name -> CPU seconds during the run
    histogram latency_ns;

    bool clean() const noexcept
    {
        return error.empty() && publishes.refused == 0 && confirms_complete &&
               (!checked || (deliveries.lost == 0 && deliveries.duplicated == 0 && deliveries.corrupted == 0));
    }
};

run_result run(const options& o, driver& d);

/// CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat; -1 when it
/// cannot be read.
double process_cpu_seconds(int pid);

} // namespace plexus::bench
