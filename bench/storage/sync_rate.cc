#include "bench/storage/sync_rate.h"

#include "bench/storage/records.h"
#include "bench/storage/work_dir.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <string>
#include <unistd.h>

namespace plexus::bench {

namespace {

sdk::status errno_status(const char* what)
{
    return sdk::status(sdk::errc::io_error, std::string(what) + ": " + std::strerror(errno));
}

} // namespace

sdk::result<measurement> measure_sync_rate(const scenario_context& ctx, std::chrono::milliseconds duration)
{
    auto dir = work_dir::create(ctx.work_parent, "fdatasync");
    if (!dir) {
        return dir.error();
    }
    const auto path = dir->path() / "sync.bin";
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        return errno_status("cannot create the fdatasync file");
    }
    const std::string record(record_body_bytes, 'r');
    std::uint64_t syncs = 0;
    off_t at = 0;
    sdk::status failed;
    const auto began = std::chrono::steady_clock::now();
    const auto until = began + duration;
    auto now = began;
    while (now < until) {
        if (::pwrite(fd, record.data(), record.size(), at) != static_cast<ssize_t>(record.size())) {
            failed = errno_status("pwrite");
            break;
        }
        if (::fdatasync(fd) != 0) {
            failed = errno_status("fdatasync");
            break;
        }
        at += static_cast<off_t>(record.size());
        ++syncs;
        now = std::chrono::steady_clock::now();
    }
    ::close(fd);
    if (!failed.ok()) {
        return failed;
    }
    const double seconds = seconds_between(began, now);
    measurement m;
    m.value = static_cast<double>(syncs) / seconds;
    m.extras = { { "syncs", std::to_string(syncs) },
                 { "mean_latency_us", fmt::format("{:.1f}", seconds / static_cast<double>(syncs) * 1e6) } };
    return m;
}

} // namespace plexus::bench
