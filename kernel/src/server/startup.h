// plexusd's startup and shutdown sequence (main.cc only calls run_plexusd):
// arguments → config (exit 3) → data dir (exit 6) → plugins loaded and validated (exit 4) →
// broker created (exit 4) → shards, listeners and admin HTTP started (exit 5 on a bind
// failure) → ports file → wait for SIGTERM/SIGINT → drain, flush, exit 0.
// Every fatal error is one line on stderr: `plexusd: <what>: <cause>`.
#pragma once

namespace plexus::kernel {

int run_plexusd(int argc, char** argv);

} // namespace plexus::kernel
