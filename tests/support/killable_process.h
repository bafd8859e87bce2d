// A child process that runs alongside the test: the test reads its stdout line by line while
// it runs (to react to what it reports) and may end it with SIGKILL at a moment of its
// choosing, as a crash would. Only this child is ever signalled, by its pid; the destructor
// kills and reaps it if the test did not, so a failed assertion leaves nothing running.
// No shell is involved, so arguments need no quoting; stdin is /dev/null.
#pragma once

#include "support/child_process.h"

#include <chrono>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace plexus::tests {

class killable_process
{
  public:
    using clock = std::chrono::steady_clock;

    /// Starts argv[0] (looked up on PATH when it has no slash). On failure spawn_error() says why.
    explicit killable_process(const std::vector<std::string>& argv);
    ~killable_process();
    killable_process(const killable_process&) = delete;
    killable_process& operator=(const killable_process&) = delete;

    /// Empty when the program started.
    const std::string& spawn_error() const noexcept { return _spawn_error; }
    pid_t pid() const noexcept { return _pid; }

    /// Reads what the child writes until `until`, or until it has closed both stdout and
    /// stderr (it exited, or was killed). Returns false in the second case.
    bool read_until(clock::time_point until);
    /// The first complete line of stdout read and not yet taken, without its '\n'.
    std::optional<std::string> take_line();
    /// Everything the child wrote to stderr so far.
    const std::string& err() const noexcept { return _err; }

    /// SIGKILLs the child, reads what it wrote before it died, reaps it and says how it ended
    /// (`out` holds the stdout not taken as lines; take_line() still gives them). A child that exited by itself is only
    /// reaped. `deadline` bounds the wait for the pipes to close.
    process_result kill_and_reap(std::chrono::milliseconds deadline = std::chrono::seconds(10));

    /// Reads the child's output until it exits by itself, or SIGKILLs it once `until`
    /// passes (timed_out is then set).
    process_result wait_until(clock::time_point until);

  private:
    process_result reap();
    process_result result_of(int wstatus);

    pid_t _pid = -1;
    int _out = -1;
    int _err_fd = -1;
    std::string _spawn_error;
    std::string _out_buffer; ///< stdout read but not yet taken
    std::string _err;
};

} // namespace plexus::tests
