// The disk-space resource alarm (issue 3): raised while the free space of the filesystem that
// holds data_dir is below `storage.disk_free_limit_bytes`, cleared by itself once space
// returns. While it is raised the kernel refuses publishes and appends with
// resource_exhausted, so that publishers stop before the disk is full and no write that could
// be torn by ENOSPC is ever confirmed (RabbitMQ's disk alarm, by a free-space watermark).
//
// Threading: check() runs on the control shard's timer; raised() is read on every shard.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace plexus::kernel {

class disk_alarm
{
  public:
    /// Free bytes of the filesystem holding a path, or nullopt when it cannot be read.
    using free_space_probe = std::function<std::optional<std::uint64_t>(const std::string& path)>;

    /// `limit_bytes` 0 disables the alarm. `probe` defaults to statvfs(2).
    disk_alarm(std::string path, std::uint64_t limit_bytes, free_space_probe probe = {});

    enum class change : std::uint8_t
    {
        none,
        raised,
        cleared
    };
    /// Reads the free space once and updates the state; says what changed.
    change check();
    bool raised() const noexcept { return _raised.load(std::memory_order_relaxed); }
    std::uint64_t limit_bytes() const noexcept { return _limit; }
    /// The free space the last check() read (0 before the first).
    std::uint64_t last_free_bytes() const noexcept { return _last_free.load(std::memory_order_relaxed); }
    /// "disk free space 12 MiB is below the limit of 50 MiB on <path>": the refusal's text.
    std::string describe() const;

  private:
    std::string _path;
    std::uint64_t _limit;
    free_space_probe _probe;
    std::atomic<bool> _raised{ false };
    std::atomic<std::uint64_t> _last_free{ 0 };
};

} // namespace plexus::kernel
