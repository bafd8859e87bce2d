// Thin, checked wrappers over the POSIX calls the file engine makes, so every caller gets a
// status naming the file and the cause, and tests can inject failures (ENOSPC) at one place.
#pragma once

#include "plexus/sdk/status.h"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>

namespace plexus::storage::file {

/// Test hooks. `write_error`, when set, is asked before each segment write with its length,
/// and `sync_error` before each segment fdatasync; each returns an errno to fail the call with
/// (0 lets it through).
struct io_hooks
{
    std::function<int(std::size_t)> write_error;
    std::function<int()> sync_error;
};

/// The status for a failed call: resource_exhausted for ENOSPC/EDQUOT/EFBIG (the disk is
/// full: callers turn that into back-pressure), io_error otherwise.
sdk::status errno_status(int err, std::string_view what, const std::filesystem::path& file);

/// An open file descriptor, closed on destruction.
class file_handle
{
  public:
    file_handle() = default;
    explicit file_handle(int fd) noexcept
      : _fd(fd)
    {
    }
    file_handle(file_handle&& o) noexcept
      : _fd(o._fd)
    {
        o._fd = -1;
    }
    file_handle& operator=(file_handle&& o) noexcept;
    file_handle(const file_handle&) = delete;
    file_handle& operator=(const file_handle&) = delete;
    ~file_handle();

    int fd() const noexcept { return _fd; }
    bool is_open() const noexcept { return _fd >= 0; }

  private:
    int _fd = -1;
};

/// open(2) with O_CLOEXEC.
sdk::status open_file(const std::filesystem::path& path, int flags, file_handle& out);
/// Writes all of `data` at `pos` (retrying short writes).
sdk::status write_at(const file_handle& f,
                     std::span<const std::byte> data,
                     std::uint64_t pos,
                     const std::filesystem::path& path,
                     const io_hooks* hooks = nullptr);
/// Reads exactly `out.size()` bytes at `pos`; io_error on a short read.
sdk::status read_at(const file_handle& f,
                    std::span<std::byte> out,
                    std::uint64_t pos,
                    const std::filesystem::path& path);
sdk::status sync_data(const file_handle& f, const std::filesystem::path& path, const io_hooks* hooks = nullptr);
sdk::status truncate_to(const file_handle& f, std::uint64_t size, const std::filesystem::path& path);
/// fsync of a directory, so that a created, renamed or removed entry is durable.
sdk::status sync_directory(const std::filesystem::path& dir);
/// Writes `data` to `path` atomically: a temporary file, fsync, rename, fsync of the directory.
sdk::status write_file_atomically(const std::filesystem::path& path, std::span<const std::byte> data);
/// The whole file, or not_found when it does not exist.
sdk::status read_whole_file(const std::filesystem::path& path, std::string& out);

inline std::span<const std::byte> as_bytes(std::string_view s) noexcept
{
    return std::as_bytes(std::span<const char>(s.data(), s.size()));
}

} // namespace plexus::storage::file
