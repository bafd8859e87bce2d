#include "kernel/src/server/current_shard.h"

namespace plexus::kernel {
namespace {
thread_local std::uint32_t t_current_shard = no_shard;
}

std::uint32_t current_shard() noexcept
{
    return t_current_shard;
}

void set_current_shard(std::uint32_t index) noexcept
{
    t_current_shard = index;
}

} // namespace plexus::kernel
