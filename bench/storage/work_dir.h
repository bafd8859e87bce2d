// work_dir: a fresh directory for one benchmark's data, removed with everything in it when the
// object goes, so an interrupted scenario does not leave gigabytes behind in the temp dir.
#pragma once

#include "plexus/sdk/result.h"

#include <filesystem>
#include <string>

namespace plexus::bench {

class work_dir
{
  public:
    /// A new directory `<parent>/plexus-storage-bench-<purpose>-<random>`.
    static sdk::result<work_dir> create(const std::filesystem::path& parent, const std::string& purpose);
    work_dir(work_dir&& o) noexcept
      : _path(std::move(o._path))
    {
        o._path.clear();
    }
    work_dir& operator=(work_dir&&) = delete;
    work_dir(const work_dir&) = delete;
    ~work_dir();

    const std::filesystem::path& path() const noexcept { return _path; }

  private:
    explicit work_dir(std::filesystem::path path)
      : _path(std::move(path))
    {
    }
    std::filesystem::path _path;
};

} // namespace plexus::bench
