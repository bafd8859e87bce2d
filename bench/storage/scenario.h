// What every scenario of plexus-storage-bench gets and gives back. A scenario measures once;
// the caller repeats it and takes medians.
#pragma once

#include "plexus/sdk/log.h"
#include "plexus/sdk/result.h"

#include <chrono>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace plexus::bench {

struct scenario_context
{
    std::string plugin_dir;
    std::filesystem::path work_parent; ///< each scenario makes (and removes) its own dir here
    std::filesystem::path self;        ///< this executable, for scenarios that run a child
    sdk::logger* logger = nullptr;
};

/// One measured figure, with whatever else the run observed (printed as key=value).
struct measurement
{
    double value = 0;
    std::vector<std::pair<std::string, std::string>> extras;
};

/// Seconds between two steady_clock points.
inline double seconds_between(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b)
{
    return std::chrono::duration<double>(b - a).count();
}

/// The config section of `engine` with the given fsync policy: the durable engines (file,
/// rocksdb) take `fsync` and keep every other default; the memory engine has no such key.
inline std::string fsync_config(const std::string& engine, const std::string& policy)
{
    return engine == "memory" ? std::string("{}") : "{\"fsync\":\"" + policy + "\"}";
}

} // namespace plexus::bench
