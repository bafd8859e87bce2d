#include "support/child_process.h"

#include "support/killable_process.h"

namespace plexus::tests {

std::string process_result::describe() const
{
    std::string s;
    if (!spawn_error.empty()) {
        s = "could not start: " + spawn_error;
    } else if (timed_out) {
        s = "timed out";
    } else if (signalled) {
        s = "killed by signal " + std::to_string(signal);
    } else {
        s = "exit " + std::to_string(exit_code);
    }
    if (!out.empty()) {
        s += "\n--- stdout ---\n" + out;
    }
    if (!err.empty()) {
        s += "\n--- stderr ---\n" + err;
    }
    return s;
}

process_result run_process(const std::vector<std::string>& argv, std::chrono::milliseconds deadline)
{
    killable_process child(argv);
    if (!child.spawn_error().empty()) {
        process_result r;
        r.spawn_error = child.spawn_error();
        return r;
    }
    return child.wait_until(killable_process::clock::now() + deadline);
}

} // namespace plexus::tests
