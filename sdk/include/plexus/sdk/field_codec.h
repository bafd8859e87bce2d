// The building blocks of the stored formats (engine records and metadata, the kernel's
// definitions): LEB128 varints, zigzag for signed values, length-prefixed strings and one
// tagged encoding of a headers table. Header-only and stateless, so an engine and the kernel
// write the same bytes for the same values.
//
// Readers never trust their input: every read checks bounds, and a field_reader latches the
// first failure (ok() turns false and later reads return zero values).
#pragma once

#include "plexus/sdk/message.h"

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace plexus::sdk {

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

/// Signed values as varints: small magnitudes of either sign stay short.
constexpr std::uint64_t zigzag(std::int64_t v) noexcept
{
    return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}

constexpr std::int64_t unzigzag(std::uint64_t v) noexcept
{
    return static_cast<std::int64_t>(v >> 1) ^ -static_cast<std::int64_t>(v & 1);
}

/// Reads fields from `in` in order; the first failed read latches ok() to false.
class field_reader
{
  public:
    explicit field_reader(std::string_view in, std::size_t pos = 0) noexcept
      : _in(in)
      , _pos(pos)
    {
    }
    bool ok() const noexcept { return _ok; }
    std::size_t pos() const noexcept { return _pos; }
    std::size_t remaining() const noexcept { return _in.size() - _pos; }

    std::uint64_t varint() noexcept
    {
        std::size_t pos = _pos;
        auto v = _ok ? read_varint(_in, pos) : std::nullopt;
        if (!v) {
            _ok = false;
            return 0;
        }
        _pos = pos;
        return *v;
    }
    std::int64_t signed_varint() noexcept { return unzigzag(varint()); }
    std::uint8_t u8() noexcept
    {
        if (!_ok || _pos >= _in.size()) {
            _ok = false;
            return 0;
        }
        return static_cast<std::uint8_t>(_in[_pos++]);
    }
    /// The next `n` bytes, as a view into the input.
    std::string_view raw(std::uint64_t n) noexcept
    {
        if (!_ok || n > _in.size() - _pos) {
            _ok = false;
            return {};
        }
        auto s = _in.substr(_pos, n);
        _pos += n;
        return s;
    }
    std::string string() { return std::string(raw(varint())); }

  private:
    std::string_view _in;
    std::size_t _pos;
    bool _ok = true;
};

/// A headers table: a count, then per header its key, a type tag and the value.
inline void put_headers(std::string& out, const headers& hs)
{
    put_varint(out, hs.size());
    for (const auto& h : hs) {
        put_string(out, h.key);
        out.push_back(static_cast<char>(h.value.index())); // the tag is the variant's index
        std::visit(
          [&](const auto& v) {
              using V = std::decay_t<decltype(v)>;
              if constexpr (std::is_same_v<V, bool>) {
                  out.push_back(v ? 1 : 0);
              } else if constexpr (std::is_same_v<V, std::int64_t>) {
                  put_varint(out, zigzag(v));
              } else if constexpr (std::is_same_v<V, double>) {
                  char bytes[sizeof v];
                  std::memcpy(bytes, &v, sizeof v); // x86-64 and aarch64 Linux are little-endian
                  out.append(bytes, sizeof v);
              } else if constexpr (std::is_same_v<V, std::string>) {
                  put_string(out, v);
              }
          },
          h.value);
    }
}

/// Reads a table written by put_headers into `out`; false when it is malformed.
inline bool read_headers(field_reader& r, headers& out)
{
    const std::uint64_t count = r.varint();
    if (!r.ok() || count > r.remaining()) { // a header takes at least two bytes
        return false;
    }
    for (std::uint64_t i = 0; i < count && r.ok(); ++i) {
        header h;
        h.key = r.string();
        switch (r.u8()) {
            case 0:
                break;
            case 1:
                h.value = r.u8() != 0;
                break;
            case 2:
                h.value = r.signed_varint();
                break;
            case 3: {
                double d = 0;
                if (auto raw = r.raw(sizeof d); raw.size() == sizeof d) {
                    std::memcpy(&d, raw.data(), sizeof d);
                }
                h.value = d;
                break;
            }
            case 4:
                h.value = r.string();
                break;
            default:
                return false;
        }
        out.push_back(std::move(h));
    }
    return r.ok();
}

} // namespace plexus::sdk
