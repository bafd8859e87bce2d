#include "kernel/src/server/disk_alarm.h"

#include <fmt/format.h>
#include <sys/statvfs.h>

namespace plexus::kernel {
namespace {

std::optional<std::uint64_t> statvfs_free(const std::string& path)
{
    struct statvfs fs
    {};
    if (::statvfs(path.c_str(), &fs) != 0) {
        return std::nullopt;
    }
    // f_bavail: what an unprivileged writer may still use (root's reserve does not count).
    return static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize;
}

std::string mib(std::uint64_t bytes)
{
    return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
}

} // namespace

disk_alarm::disk_alarm(std::string path, std::uint64_t limit_bytes, free_space_probe probe)
  : _path(std::move(path))
  , _limit(limit_bytes)
  , _probe(probe ? std::move(probe) : free_space_probe(statvfs_free))
{
}

disk_alarm::change disk_alarm::check()
{
    if (_limit == 0) {
        return change::none;
    }
    auto free = _probe(_path);
    if (!free) {
        return change::none; // keep the last state: an unreadable filesystem proves nothing
    }
    _last_free.store(*free, std::memory_order_relaxed);
    const bool low = *free < _limit;
    const bool was = _raised.exchange(low, std::memory_order_relaxed);
    if (low == was) {
        return change::none;
    }
    return low ? change::raised : change::cleared;
}

std::string disk_alarm::describe() const
{
    return fmt::format("disk free space {} is below the limit of {} on {}", mib(last_free_bytes()), mib(_limit), _path);
}

} // namespace plexus::kernel
