#include "crc32c.h"

#include <boost/crc.hpp>

#include <cstring>

namespace plexus::storage {

namespace {

using boost_crc32c = boost::crc_optimal<32, 0x1EDC6F41, 0xFFFFFFFF, 0xFFFFFFFF, true, true>;

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) std::uint32_t crc32c_sse42(std::span<const std::byte> data,
                                                             std::uint32_t crc) noexcept
{
    std::uint64_t c = ~crc;
    const std::byte* p = data.data();
    std::size_t n = data.size();
    while (n >= 8) {
        std::uint64_t word;
        std::memcpy(&word, p, 8);
        c = __builtin_ia32_crc32di(c, word);
        p += 8;
        n -= 8;
    }
    auto c32 = static_cast<std::uint32_t>(c);
    while (n > 0) {
        c32 = __builtin_ia32_crc32qi(c32, static_cast<unsigned char>(*p));
        ++p;
        --n;
    }
    return ~c32;
}

bool has_sse42() noexcept
{
    static const bool yes = __builtin_cpu_supports("sse4.2");
    return yes;
}
#endif

} // namespace

std::uint32_t crc32c_portable(std::span<const std::byte> data, std::uint32_t crc) noexcept
{
    // To continue from `crc`, undo the final XOR and the output reflection: Boost takes the
    // initial remainder unreflected.
    std::uint32_t remainder = crc ^ 0xFFFFFFFFu;
    std::uint32_t unreflected = 0;
    for (int bit = 0; bit < 32; ++bit) {
        unreflected |= ((remainder >> bit) & 1u) << (31 - bit);
    }
    boost_crc32c engine(unreflected);
    engine.process_bytes(data.data(), data.size());
    return engine.checksum();
}

std::uint32_t crc32c(std::span<const std::byte> data, std::uint32_t crc) noexcept
{
#if defined(__x86_64__)
    if (has_sse42()) {
        return crc32c_sse42(data, crc);
    }
#endif
    return crc32c_portable(data, crc);
}

} // namespace plexus::storage
