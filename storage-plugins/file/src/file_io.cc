#include "file_io.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace plexus::storage::file {

sdk::status errno_status(int err, std::string_view what, const std::filesystem::path& file)
{
    const sdk::errc code =
      (err == ENOSPC || err == EDQUOT || err == EFBIG) ? sdk::errc::resource_exhausted : sdk::errc::io_error;
    return sdk::status(code, std::string(what) + " " + file.string() + ": " + std::strerror(err));
}

file_handle& file_handle::operator=(file_handle&& o) noexcept
{
    if (this != &o) {
        if (_fd >= 0) {
            ::close(_fd);
        }
        _fd = o._fd;
        o._fd = -1;
    }
    return *this;
}

file_handle::~file_handle()
{
    if (_fd >= 0) {
        ::close(_fd);
    }
}

sdk::status open_file(const std::filesystem::path& path, int flags, file_handle& out)
{
    const int fd = ::open(path.c_str(), flags | O_CLOEXEC, 0644);
    if (fd < 0) {
        const int err = errno;
        if (err == ENOENT) {
            return sdk::status(sdk::errc::not_found, "no file " + path.string());
        }
        return errno_status(err, "cannot open", path);
    }
    out = file_handle(fd);
    return {};
}

sdk::status write_at(const file_handle& f,
                     std::span<const std::byte> data,
                     std::uint64_t pos,
                     const std::filesystem::path& path,
                     const io_hooks* hooks)
{
    if (hooks != nullptr && hooks->write_error) {
        if (const int err = hooks->write_error(data.size()); err != 0) {
            return errno_status(err, "cannot write", path);
        }
    }
    while (!data.empty()) {
        const ssize_t n = ::pwrite(f.fd(), data.data(), data.size(), static_cast<off_t>(pos));
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return errno_status(errno, "cannot write", path);
        }
        if (n == 0) {
            return errno_status(ENOSPC, "cannot write", path);
        }
        data = data.subspan(static_cast<std::size_t>(n));
        pos += static_cast<std::uint64_t>(n);
    }
    return {};
}

sdk::status read_at(const file_handle& f,
                    std::span<std::byte> out,
                    std::uint64_t pos,
                    const std::filesystem::path& path)
{
    while (!out.empty()) {
        const ssize_t n = ::pread(f.fd(), out.data(), out.size(), static_cast<off_t>(pos));
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return errno_status(errno, "cannot read", path);
        }
        if (n == 0) {
            return sdk::status(sdk::errc::io_error, "unexpected end of " + path.string());
        }
        out = out.subspan(static_cast<std::size_t>(n));
        pos += static_cast<std::uint64_t>(n);
    }
    return {};
}

sdk::status sync_data(const file_handle& f, const std::filesystem::path& path, const io_hooks* hooks)
{
    if (hooks != nullptr && hooks->sync_error) {
        if (const int err = hooks->sync_error(); err != 0) {
            return errno_status(err, "cannot sync", path);
        }
    }
    if (::fdatasync(f.fd()) != 0) {
        return errno_status(errno, "cannot sync", path);
    }
    return {};
}

sdk::status truncate_to(const file_handle& f, std::uint64_t size, const std::filesystem::path& path)
{
    if (::ftruncate(f.fd(), static_cast<off_t>(size)) != 0) {
        return errno_status(errno, "cannot truncate", path);
    }
    return {};
}

sdk::status sync_directory(const std::filesystem::path& dir)
{
    file_handle d;
    if (auto st = open_file(dir, O_RDONLY | O_DIRECTORY, d); !st.ok()) {
        return st;
    }
    if (::fsync(d.fd()) != 0) {
        return errno_status(errno, "cannot sync directory", dir);
    }
    return {};
}

sdk::status write_file_atomically(const std::filesystem::path& path, std::span<const std::byte> data)
{
    auto tmp = path;
    tmp += ".tmp";
    file_handle f;
    if (auto st = open_file(tmp, O_WRONLY | O_CREAT | O_TRUNC, f); !st.ok()) {
        return st;
    }
    if (auto st = write_at(f, data, 0, tmp); !st.ok()) {
        return st;
    }
    if (::fsync(f.fd()) != 0) {
        return errno_status(errno, "cannot sync", tmp);
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        return errno_status(errno, "cannot rename to", path);
    }
    return sync_directory(path.parent_path());
}

sdk::status read_whole_file(const std::filesystem::path& path, std::string& out)
{
    file_handle f;
    if (auto st = open_file(path, O_RDONLY, f); !st.ok()) {
        return st;
    }
    struct stat info
    {};
    if (::fstat(f.fd(), &info) != 0) {
        return errno_status(errno, "cannot stat", path);
    }
    out.resize(static_cast<std::size_t>(info.st_size));
    return read_at(f, std::as_writable_bytes(std::span<char>(out.data(), out.size())), 0, path);
}

} // namespace plexus::storage::file
