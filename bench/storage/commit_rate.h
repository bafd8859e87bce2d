// Scenario `commit`: confirmed appends per second of one log under `appenders` concurrent
// publishers that each want every record durable before sending the next, as producers with
// durable confirms do. They are modelled the way a broker shard serves them: logical
// appenders on the one shard thread, each with one append + flush outstanding; when its flush
// completes, its next append is posted to the shard as a new task (the next publish arrives
// as a separate event, and a completion never re-enters the log). The engine's group commit
// is what lets one fdatasync confirm many of them.
//
// After a warm-up, appends confirmed during `duration` are counted. The distinct committed
// offsets the completions carry count the syncs that confirmed them, so the run also reports
// how many appends one sync served on average.
#pragma once

#include "bench/storage/scenario.h"

#include <chrono>
#include <string>

namespace plexus::bench {

struct commit_options
{
    std::string engine = "file";
    std::string fsync = "batch";
    int appenders = 64;
    std::chrono::milliseconds warmup{ 500 };
    std::chrono::milliseconds duration{ 3000 };
};

sdk::result<measurement> measure_commit_rate(const scenario_context& ctx, const commit_options& options);

} // namespace plexus::bench
