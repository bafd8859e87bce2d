#include "wire.h"

#include "utf8.h"

namespace plexus::protocol::mqtt {

void wire_reader::fail(reason_code code, std::string text)
{
    if (!_error) {
        _error = code;
        _error_text = std::move(text);
    }
}

std::string_view wire_reader::raw(std::size_t n) noexcept
{
    if (_error || n > remaining()) {
        if (!_error) {
            _error = reason_code::malformed_packet;
            _error_text = "packet ends inside a field";
        }
        return {};
    }
    auto s = _in.substr(_pos, n);
    _pos += n;
    return s;
}

std::uint8_t wire_reader::u8() noexcept
{
    auto s = raw(1);
    return s.empty() ? 0 : static_cast<std::uint8_t>(s[0]);
}

std::uint16_t wire_reader::u16() noexcept
{
    auto s = raw(2);
    if (s.size() != 2) {
        return 0;
    }
    return static_cast<std::uint16_t>((static_cast<unsigned char>(s[0]) << 8) | static_cast<unsigned char>(s[1]));
}

std::uint32_t wire_reader::u32() noexcept
{
    const std::uint32_t hi = u16();
    const std::uint32_t lo = u16();
    return (hi << 16) | lo;
}

std::uint32_t wire_reader::varint() noexcept
{
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
        auto s = raw(1);
        if (s.empty()) {
            return 0;
        }
        const auto b = static_cast<unsigned char>(s[0]);
        v |= static_cast<std::uint32_t>(b & 0x7f) << (7 * i);
        if ((b & 0x80) == 0) {
            return v;
        }
    }
    if (!_error) {
        _error = reason_code::malformed_packet;
        _error_text = "variable byte integer longer than four bytes";
    }
    return 0;
}

std::string wire_reader::utf8(std::string_view what)
{
    const std::uint16_t n = u16();
    auto s = raw(n);
    if (ok() && !valid_mqtt_utf8(s)) {
        fail(reason_code::malformed_packet, std::string(what) + " is not valid UTF-8 (or contains U+0000)");
        return {};
    }
    return std::string(s);
}

std::string wire_reader::binary()
{
    const std::uint16_t n = u16();
    return std::string(raw(n));
}

void wire_writer::varint(std::uint32_t v)
{
    do {
        std::uint8_t b = v & 0x7f;
        v >>= 7;
        if (v != 0) {
            b |= 0x80;
        }
        u8(b);
    } while (v != 0);
}

std::size_t varint_size(std::uint32_t v) noexcept
{
    return v < 128 ? 1 : v < 16384 ? 2 : v < 2097152 ? 3 : 4;
}

} // namespace plexus::protocol::mqtt
