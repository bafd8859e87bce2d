// A plexusd of a test's own: written config with every port 0, a private data dir, started as a
// child process, its bound ports read back from the ports file; stopped with SIGTERM. Only
// this child is ever signalled.
#pragma once

#include "support/child_process.h"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace plexus::tests {

/// A directory removed with everything in it when the object dies.
struct temp_dir
{
    std::filesystem::path path;
    temp_dir();
    ~temp_dir();
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
};

/// Polls `done` until it holds or the deadline passes; returns its last answer.
bool eventually(const std::function<bool()>& done, std::chrono::milliseconds deadline = std::chrono::seconds(10));

class broker_process
{
  public:
    /// `extra_yaml` is appended to the generated config (e.g. more routing types);
    /// `extra_plugin_dirs` are searched after the build's plugin dir.
    explicit broker_process(std::string extra_yaml = {}, std::vector<std::string> extra_plugin_dirs = {});
    ~broker_process();

    /// Starts plexusd (again, after stop() or kill(), on the same data dir) and waits until it
    /// has written its ports file. False (with log()) when it exited or did not get ready in
    /// time.
    bool start(std::chrono::milliseconds deadline = std::chrono::seconds(20));
    std::uint16_t port(const std::string& name) const;
    /// SIGTERM, then waits for the exit; returns the exit code (-1 on a signal or time-out).
    int stop(std::chrono::milliseconds deadline = std::chrono::seconds(20));
    /// SIGKILL (a crash: nothing is flushed or closed) and waits for it to go.
    void kill();
    /// The config a later start() writes (same data dir): for restarts with other settings.
    void set_extra_yaml(std::string extra_yaml) { _extra = std::move(extra_yaml); }
    /// The exit code when start() found plexusd exited during startup, else -1.
    int startup_exit_code() const noexcept { return _startup_exit; }
    /// What plexusd wrote to stderr so far.
    std::string log() const;
    /// How many times `text` occurs in log().
    std::size_t log_count(std::string_view text) const;
    const std::filesystem::path& dir() const noexcept { return _dir.path; }

  private:
    temp_dir _dir;
    std::string _extra;
    std::vector<std::string> _plugin_dirs;
    pid_t _pid = -1;
    int _startup_exit = -1;
    std::map<std::string, std::uint16_t> _ports;
};

/// plexusctl --port <b's admin port> args…, run to completion (20 s at most).
process_result run_plexusctl(const broker_process& b, std::vector<std::string> args);

} // namespace plexus::tests
