#include "bench/storage/work_dir.h"

#include <random>
#include <system_error>

namespace plexus::bench {

sdk::result<work_dir> work_dir::create(const std::filesystem::path& parent, const std::string& purpose)
{
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    std::mt19937_64 gen(std::random_device{}());
    for (int attempt = 0; attempt < 100; ++attempt) {
        auto dir = parent / ("plexus-storage-bench-" + purpose + "-" + std::to_string(gen() % 1'000'000'000));
        if (std::filesystem::create_directory(dir, ec)) {
            return work_dir(std::move(dir));
        }
    }
    return sdk::status(sdk::errc::io_error, "cannot create a directory under " + parent.string());
}

work_dir::~work_dir()
{
    if (!_path.empty()) {
        std::error_code ec;
        std::filesystem::remove_all(_path, ec);
    }
}

} // namespace plexus::bench
