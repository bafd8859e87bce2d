// The command line of plexus-storage-bench (usage_text() lists it).
#pragma once

#include "bench/storage/records.h"
#include "plexus/sdk/result.h"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace plexus::bench {

struct bench_options
{
    std::string scenario; ///< append | commit | fdatasync | recovery | recovery-writer
    std::string engine = "file";
    std::optional<std::string> fsync; ///< default: none for append, batch for commit
    std::uint64_t payload_bytes = 1ull << 30;
    std::size_t batch_records = 1000;
    body_kind bodies = body_kind::repeated; ///< append
    int appenders = 64;
    std::optional<std::chrono::milliseconds> duration; ///< default: 3 s commit, 2 s fdatasync
    std::chrono::milliseconds warmup{ 500 };
    std::uint64_t log_bytes = 1ull << 30;
    std::string stop = "clean";
    bool cold = false;
    int repetitions = 3;
    bool quick = false;
    std::filesystem::path dir; ///< parent of the work directories
    std::string plugin_dir;
    std::filesystem::path data_dir; ///< recovery-writer only
    bool verbose = false;
};

/// Parses argv; --quick applies its smaller defaults to what the command line did not set.
sdk::result<bench_options> parse_options(int argc, char** argv);

const char* usage_text();

} // namespace plexus::bench
