// Which shard the calling thread is. Set once by each shard thread when it starts; threads
// that are not shards (admin HTTP, blocking pool, main) read `no_shard`.
#pragma once

#include <cstdint>

namespace plexus::kernel {

inline constexpr std::uint32_t no_shard = 0xffffffffu;

/// The calling thread's shard index, or no_shard.
std::uint32_t current_shard() noexcept;
/// Called by a shard thread once, before it runs anything.
void set_current_shard(std::uint32_t index) noexcept;

} // namespace plexus::kernel
