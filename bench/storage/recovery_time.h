// Scenario `recovery`: how long the engine takes to come back over a log of `log_bytes`:
// creating the engine over the data directory plus open_log(), which is where the file engine
// loads saved indexes or scans (CRC-checks) segments without one.
//
//   clean: the log is filled in process, its handle and the engine are closed, and the
//          reopen is timed.
//   kill:  a child process (this executable's recovery-writer mode) fills the log and keeps
//          appending; it is SIGKILLed and the parent times the reopen. The page cache keeps
//          everything the child wrote, so the reopened log must reach at least the offset the
//          child reported when it was full.
//
// `cold` evicts the data directory's files from the page cache before the reopen (the disk
// is read, as after a machine restart); otherwise the cache is as the stop left it, as when a
// broker process restarts.
#pragma once

#include "bench/storage/scenario.h"

#include <cstdint>
#include <string>

namespace plexus::bench {

enum class stop_kind
{
    clean,
    kill,
};

struct recovery_options
{
    std::string engine = "file";
    std::uint64_t log_bytes = 1ull << 30;
    stop_kind stop = stop_kind::clean;
    bool cold = false;
};

sdk::result<measurement> measure_recovery_time(const scenario_context& ctx, const recovery_options& options);

} // namespace plexus::bench
