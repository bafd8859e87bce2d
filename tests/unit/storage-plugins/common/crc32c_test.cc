#include "crc32c.h"

#include <catch2/catch.hpp>

#include <random>
#include <string_view>
#include <vector>

using plexus::storage::crc32c;
using plexus::storage::crc32c_portable;

namespace {
std::span<const std::byte> as_bytes(std::string_view s)
{
    return std::as_bytes(std::span<const char>(s.data(), s.size()));
}
} // namespace

TEST_CASE("crc32c: the published check values", "[unit][storage][crc32c]")
{
    // RFC 3720 (iSCSI) appendix B.4 and the common "123456789" check value.
    CHECK(crc32c(as_bytes("123456789")) == 0xE3069283u);
    CHECK(crc32c_portable(as_bytes("123456789")) == 0xE3069283u);
    std::vector<std::byte> zeros(32, std::byte{ 0 });
    CHECK(crc32c(zeros) == 0x8A9136AAu);
    std::vector<std::byte> ones(32, std::byte{ 0xFF });
    CHECK(crc32c(ones) == 0x62A8AB43u);
    CHECK(crc32c({}) == 0u);
}

TEST_CASE("crc32c: the fast path equals the reference at every length and split", "[unit][storage][crc32c]")
{
    std::mt19937 rng(7);
    std::vector<std::byte> data(1000);
    for (auto& b : data) {
        b = static_cast<std::byte>(rng());
    }
    for (std::size_t len = 0; len <= data.size(); len += 37) {
        std::span<const std::byte> whole(data.data(), len);
        const auto expected = crc32c_portable(whole);
        CHECK(crc32c(whole) == expected);
        // Extending over two parts gives the same value as one pass.
        const std::size_t cut = len / 3;
        CHECK(crc32c(whole.subspan(cut), crc32c(whole.first(cut))) == expected);
        CHECK(crc32c_portable(whole.subspan(cut), crc32c_portable(whole.first(cut))) == expected);
    }
}

TEST_CASE("crc32c: long inputs, through the interleaved rounds, equal the reference", "[unit][storage][crc32c]")
{
    // The fast path folds three 1 KiB streams per round: lengths around multiples of 3 KiB,
    // unaligned starts and continued checksums cover every way into and out of a round.
    std::mt19937 rng(11);
    std::vector<std::byte> data(40000);
    for (auto& b : data) {
        b = static_cast<std::byte>(rng());
    }
    for (std::size_t len : { 3071u, 3072u, 3073u, 6143u, 6144u, 6151u, 9216u, 12345u, 30720u, 39990u }) {
        for (std::size_t start : { 0u, 1u, 3u, 7u }) {
            INFO("length " << len << " from " << start);
            std::span<const std::byte> part(data.data() + start, len);
            const auto expected = crc32c_portable(part);
            CHECK(crc32c(part) == expected);
            const std::size_t cut = 5000 % len;
            CHECK(crc32c(part.subspan(cut), crc32c(part.first(cut))) == expected);
        }
    }
    std::vector<std::byte> zeros(9216, std::byte{ 0 });
    CHECK(crc32c(zeros) == crc32c_portable(zeros));
}

TEST_CASE("crc32c: any flipped bit changes the checksum", "[unit][storage][crc32c]")
{
    std::vector<std::byte> data(64, std::byte{ 0x5A });
    const auto original = crc32c(data);
    for (std::size_t bit = 0; bit < data.size() * 8; ++bit) {
        data[bit / 8] ^= std::byte(1u << (bit % 8));
        CHECK(crc32c(data) != original);
        data[bit / 8] ^= std::byte(1u << (bit % 8));
    }
}
