// The file engine's config section (storage.engines.file in plexus.yaml); docs/config.md
// and this plugin's README describe each key.
#pragma once

#include "plexus/sdk/result.h"

#include <chrono>
#include <cstdint>
#include <string_view>

namespace plexus::storage::file {

enum class fsync_policy
{
    always, ///< every append is synced without being asked; flush() waits for it
    batch,  ///< flush() requests are grouped: one fdatasync serves all that arrived meanwhile
    none,   ///< never synced while running (only when a segment is sealed and at close)
};

/// The range of segment_bytes, in the config and in a log's own log_spec::segment_bytes.
inline constexpr std::uint64_t min_segment_bytes = 4096;
inline constexpr std::uint64_t max_segment_bytes = 1ull << 30;

struct engine_config
{
    fsync_policy fsync = fsync_policy::batch;
    /// With `batch`: how long a flush request may wait for others to join its sync.
    std::chrono::milliseconds batch_delay{ 0 };
    std::uint64_t segment_bytes = 64ull << 20;
    std::chrono::milliseconds segment_age{ std::chrono::hours(24 * 7) };
    std::uint32_t index_interval_bytes = 4096;
    /// Check every segment's CRCs at startup, not only those without a matching saved index.
    bool verify_all_on_start = false;
};

/// Parses and checks the section; invalid_argument naming the key on any problem.
sdk::result<engine_config> parse_config(std::string_view json) noexcept;

} // namespace plexus::storage::file
