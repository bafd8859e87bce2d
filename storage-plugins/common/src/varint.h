// LEB128 unsigned varints, as the stored formats use them for lengths and counts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace plexus::storage {

inline void put_varint(std::string& out, std::uint64_t v)
{
    while (v >= 0x80) {
        out.push_back(static_cast<char>((v & 0x7f) | 0x80));
        v >>= 7;
    }
    out.push_back(static_cast<char>(v));
}

/// Reads a varint at `pos` of `in`, advancing `pos`; nullopt when it is truncated or longer
/// than 64 bits.
inline std::optional<std::uint64_t> read_varint(std::string_view in, std::size_t& pos) noexcept
{
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (pos >= in.size()) {
            return std::nullopt;
        }
        const auto b = static_cast<unsigned char>(in[pos++]);
        v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
        if ((b & 0x80) == 0) {
            return v;
        }
    }
    return std::nullopt;
}

/// A varint length followed by that many bytes.
inline void put_string(std::string& out, std::string_view s)
{
    put_varint(out, s.size());
    out.append(s);
}

inline std::optional<std::string_view> read_string(std::string_view in, std::size_t& pos) noexcept
{
    auto n = read_varint(in, pos);
    if (!n || *n > in.size() - pos) {
        return std::nullopt;
    }
    auto s = in.substr(pos, *n);
    pos += *n;
    return s;
}

} // namespace plexus::storage
