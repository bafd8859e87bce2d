// The disk alarm against a free-space probe the test controls: raised below the limit,
// cleared by itself when space returns, unchanged when the filesystem cannot be read.
#include "kernel/src/server/disk_alarm.h"

#include <catch2/catch.hpp>

using plexus::kernel::disk_alarm;
using change = disk_alarm::change;

TEST_CASE("the disk alarm follows the free space across its limit", "[unit][kernel][disk]")
{
    std::optional<std::uint64_t> free = 100u << 20;
    std::string probed;
    disk_alarm alarm("/data", 50u << 20, [&](const std::string& path) {
        probed = path;
        return free;
    });
    CHECK_FALSE(alarm.raised());
    CHECK(alarm.check() == change::none);
    CHECK(probed == "/data");
    CHECK_FALSE(alarm.raised());

    free = (50u << 20) - 1;
    CHECK(alarm.check() == change::raised);
    CHECK(alarm.raised());
    CHECK(alarm.check() == change::none); // still low: no second report
    CHECK(alarm.describe() == "disk free space 50.0 MiB is below the limit of 50.0 MiB on /data");

    free = std::nullopt; // statvfs failed: keep what we knew
    CHECK(alarm.check() == change::none);
    CHECK(alarm.raised());

    free = 50u << 20; // exactly the limit is enough
    CHECK(alarm.check() == change::cleared);
    CHECK_FALSE(alarm.raised());
    CHECK(alarm.last_free_bytes() == 50u << 20);
}

TEST_CASE("a limit of zero never raises the alarm", "[unit][kernel][disk]")
{
    bool asked = false;
    disk_alarm alarm("/data", 0, [&](const std::string&) {
        asked = true;
        return std::optional<std::uint64_t>(0);
    });
    CHECK(alarm.check() == change::none);
    CHECK_FALSE(alarm.raised());
    CHECK_FALSE(asked);
}

TEST_CASE("the real probe reads the filesystem of an existing path", "[unit][kernel][disk]")
{
    // Any real filesystem has less than 2^63 bytes free: the alarm must be raised, with a
    // real figure read.
    disk_alarm alarm(".", std::uint64_t{ 1 } << 63);
    CHECK(alarm.check() == change::raised);
    CHECK(alarm.last_free_bytes() > 0);
}
