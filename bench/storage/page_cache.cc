#include "bench/storage/page_cache.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <unistd.h>

namespace plexus::bench {

sdk::status evict_from_page_cache(const std::filesystem::path& dir)
{
    std::error_code ec;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir, ec)) {
        if (!entry.is_regular_file(ec)) {
            continue;
        }
        const int fd = ::open(entry.path().c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            continue; // removed meanwhile
        }
        // DONTNEED skips dirty pages: write them back first. (posix_fadvise returns its error.)
        int err = ::fdatasync(fd) == 0 ? 0 : errno;
        if (err == 0) {
            err = ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
        }
        ::close(fd);
        if (err != 0) {
            return sdk::status(sdk::errc::io_error,
                               "cannot evict " + entry.path().string() + " from the page cache: " + std::strerror(err));
        }
    }
    if (ec) {
        return sdk::status(sdk::errc::io_error, "cannot list " + dir.string() + ": " + ec.message());
    }
    return {};
}

} // namespace plexus::bench
