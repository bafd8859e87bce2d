// Yardstick `fdatasync`: what one writer gets from the disk when every record must be durable
// before the next: a loop of pwrite(100 bytes at the end of a file) + fdatasync, in the same
// directory as the engines' data, for `duration`. Appending (not overwriting) is what a log
// does, so each sync also carries the file's new size, as the engine's do. The figure is
// syncs per second.
#pragma once

#include "bench/storage/scenario.h"

#include <chrono>

namespace plexus::bench {

sdk::result<measurement> measure_sync_rate(const scenario_context& ctx, std::chrono::milliseconds duration);

} // namespace plexus::bench
