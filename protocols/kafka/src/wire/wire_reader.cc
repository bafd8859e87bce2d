#include "wire/wire_reader.h"

#include <bit>
#include <cstring>

namespace plexus::protocol::kafka {

std::uint64_t wire_reader::fixed(std::size_t n) noexcept
{
    if (_failed || _data.size() - _pos < n) {
        _failed = true;
        return 0;
    }
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) {
        v = (v << 8) | static_cast<std::uint8_t>(_data[_pos + i]);
    }
    _pos += n;
    return v;
}

double wire_reader::float64() noexcept
{
    return std::bit_cast<double>(fixed(8));
}

kafka_uuid wire_reader::uuid() noexcept
{
    kafka_uuid u{};
    auto v = raw(u.size());
    if (ok()) {
        std::memcpy(u.data(), v.data(), u.size());
    }
    return u;
}

std::uint64_t wire_reader::uvarlong() noexcept
{
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        auto b = static_cast<std::uint8_t>(fixed(1));
        if (_failed) {
            return 0;
        }
        v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
        if ((b & 0x80) == 0) {
            return v;
        }
    }
    _failed = true; // more than ten bytes: not a varint
    return 0;
}

std::uint32_t wire_reader::uvarint() noexcept
{
    std::uint64_t v = uvarlong();
    if (v > 0xffffffffu) {
        _failed = true;
        return 0;
    }
    return static_cast<std::uint32_t>(v);
}

std::int32_t wire_reader::varint() noexcept
{
    std::uint32_t v = uvarint();
    return static_cast<std::int32_t>((v >> 1) ^ (~(v & 1) + 1));
}

std::int64_t wire_reader::varlong() noexcept
{
    std::uint64_t v = uvarlong();
    return static_cast<std::int64_t>((v >> 1) ^ (~(v & 1) + 1));
}

std::string_view wire_reader::raw(std::size_t n) noexcept
{
    if (_failed || _data.size() - _pos < n) {
        _failed = true;
        return {};
    }
    auto v = _data.substr(_pos, n);
    _pos += n;
    return v;
}

std::optional<std::string> wire_reader::sized(std::int64_t length) noexcept
{
    if (length < 0) {
        return std::nullopt;
    }
    auto v = raw(static_cast<std::size_t>(length));
    if (!ok()) {
        return std::nullopt;
    }
    try {
        return std::string(v);
    } catch (...) {
        _failed = true;
        return std::nullopt;
    }
}

std::optional<std::string> wire_reader::nullable_string(bool compact) noexcept
{
    std::int64_t length = compact ? static_cast<std::int64_t>(uvarint()) - 1 : int16();
    return sized(length);
}

std::optional<std::string> wire_reader::nullable_bytes(bool compact) noexcept
{
    std::int64_t length = compact ? static_cast<std::int64_t>(uvarint()) - 1 : int32();
    return sized(length);
}

std::int32_t wire_reader::array_length(bool compact, bool nullable) noexcept
{
    std::int64_t n = compact ? static_cast<std::int64_t>(uvarint()) - 1 : int32();
    if (_failed) {
        return -1;
    }
    if (n < 0) {
        if (!nullable || n < -1) {
            _failed = true;
        }
        return -1;
    }
    if (static_cast<std::uint64_t>(n) > remaining()) {
        _failed = true;
        return -1;
    }
    return static_cast<std::int32_t>(n);
}

} // namespace plexus::protocol::kafka
