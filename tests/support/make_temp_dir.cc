// make_temp_dir (storage_doubles.h) has a file of its own because it fails the test through
// Catch2, whose implementation only a test's main provides: the pool and the logger can then
// link into programs that are not Catch2 tests (the storage crash test's child).
#include "support/storage_doubles.h"

#include <catch2/catch.hpp>

#include <random>
#include <system_error>

namespace plexus::test {

std::filesystem::path make_temp_dir(const std::string& purpose)
{
    std::random_device rd;
    std::mt19937_64 gen(rd());
    for (int attempt = 0; attempt < 100; ++attempt) {
        auto dir = std::filesystem::temp_directory_path() / ("plexus-" + purpose + "-" + std::to_string(gen()));
        std::error_code ec;
        if (std::filesystem::create_directory(dir, ec)) {
            return dir;
        }
    }
    FAIL("could not create a temporary data directory");
    return {};
}

} // namespace plexus::test
