// Runs a program to completion for a test: captures stdout and stderr through pipes, and kills
// the child (only that one, by its pid) if it outlives the deadline. No shell is involved, so
// arguments need no quoting.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace plexus::tests {

struct process_result
{
    int exit_code = -1; ///< valid when !signalled && !timed_out
    int signal = 0;     ///< the signal that ended it, when signalled
    bool signalled = false;
    bool timed_out = false;
    std::string out;         ///< everything it wrote to stdout
    std::string err;         ///< everything it wrote to stderr
    std::string spawn_error; ///< non-empty when the program could not be started at all

    /// "exit 4" / "signal 11" / "timed out", plus stderr, for failure messages.
    std::string describe() const;
};

/// Runs argv[0] (looked up on PATH when it has no slash) with argv; stdin is /dev/null.
process_result run_process(const std::vector<std::string>& argv,
                           std::chrono::milliseconds deadline = std::chrono::seconds(60));

} // namespace plexus::tests
