// MQTT's data representations (5.0 §1.5): big-endian two- and four-byte integers, the
// variable byte integer (at most four bytes), length-prefixed UTF-8 strings and binary data.
//
// The reader never trusts its input: every read is bounds-checked and the first failure is
// latched with the reason code the packet is refused with (malformed unless said otherwise);
// later reads return zero values.
#pragma once

#include "reason_code.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace plexus::protocol::mqtt {

/// The largest remaining length (and variable byte integer): four bytes of seven bits.
inline constexpr std::uint32_t max_variable_byte_integer = 268435455;

class wire_reader
{
  public:
    explicit wire_reader(std::string_view in) noexcept
      : _in(in)
    {
    }

    bool ok() const noexcept { return !_error; }
    reason_code error() const noexcept { return _error.value_or(reason_code::success); }
    const std::string& error_text() const noexcept { return _error_text; }
    std::size_t pos() const noexcept { return _pos; }
    std::size_t remaining() const noexcept { return _in.size() - _pos; }

    /// Latches `code` (only the first failure counts).
    void fail(reason_code code, std::string text);

    std::uint8_t u8() noexcept;
    std::uint16_t u16() noexcept;
    std::uint32_t u32() noexcept;
    /// A variable byte integer: at most four bytes.
    std::uint32_t varint() noexcept;
    /// A UTF-8 string, checked against MQTT's UTF-8 rule.
    std::string utf8(std::string_view what);
    /// Binary data (two-byte length prefix).
    std::string binary();
    /// The next `n` bytes as a view into the input.
    std::string_view raw(std::size_t n) noexcept;

  private:
    std::string_view _in;
    std::size_t _pos = 0;
    std::optional<reason_code> _error;
    std::string _error_text;
};

class wire_writer
{
  public:
    explicit wire_writer(std::string& out) noexcept
      : _out(out)
    {
    }
    void u8(std::uint8_t v) { _out.push_back(static_cast<char>(v)); }
    void u16(std::uint16_t v)
    {
        u8(static_cast<std::uint8_t>(v >> 8));
        u8(static_cast<std::uint8_t>(v));
    }
    void u32(std::uint32_t v)
    {
        u16(static_cast<std::uint16_t>(v >> 16));
        u16(static_cast<std::uint16_t>(v));
    }
    void varint(std::uint32_t v);
    /// A string or binary field: two-byte length then the bytes (callers keep them <= 65535).
    void string(std::string_view s)
    {
        u16(static_cast<std::uint16_t>(s.size()));
        _out.append(s);
    }
    void raw(std::string_view s) { _out.append(s); }

  private:
    std::string& _out;
};

/// How many bytes the variable byte integer `v` takes.
std::size_t varint_size(std::uint32_t v) noexcept;

} // namespace plexus::protocol::mqtt
