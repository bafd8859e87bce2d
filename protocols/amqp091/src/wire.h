// The primitive types of the AMQP 0-9-1 wire format (spec §4.2.5): big-endian integers, short
// strings (octet length) and long strings (32-bit length), and the packing of consecutive bit
// fields into octets.
//
// wire_reader never trusts its input: every read checks bounds, and the first failure latches
// an amqp_error (later reads return zero values), so a decoder checks once, at the end.
#pragma once

#include "amqp_error.h"

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace plexus::protocol::amqp091 {

class wire_reader
{
  public:
    explicit wire_reader(std::string_view in) noexcept
      : _in(in)
    {
    }

    bool ok() const noexcept { return !_error.has_value(); }
    const std::optional<amqp_error>& error() const noexcept { return _error; }
    std::size_t remaining() const noexcept { return _in.size() - _pos; }
    std::size_t pos() const noexcept { return _pos; }

    /// Latches `code`/`text` unless an earlier failure is already latched.
    void fail(reply_code code, std::string text)
    {
        if (!_error) {
            _error = amqp_error{ code, std::move(text), 0, 0 };
        }
        _pos = _in.size();
        _bits_left = 0;
    }

    std::uint8_t u8() { return static_cast<std::uint8_t>(take<1>()); }
    std::uint16_t u16() { return static_cast<std::uint16_t>(take<2>()); }
    std::uint32_t u32() { return static_cast<std::uint32_t>(take<4>()); }
    std::uint64_t u64() { return take<8>(); }

    /// The next `n` bytes, as a view into the input.
    std::string_view raw(std::size_t n)
    {
        _bits_left = 0;
        if (!need(n)) {
            return {};
        }
        auto s = _in.substr(_pos, n);
        _pos += n;
        return s;
    }
    std::string_view shortstr() { return raw(u8()); }
    std::string_view longstr() { return raw(u32()); }

    /// One bit field; consecutive bits share an octet, least significant bit first.
    bool bit()
    {
        if (_bits_left == 0) {
            if (!need(1)) {
                return false;
            }
            _bit_octet = static_cast<std::uint8_t>(_in[_pos++]);
            _bits_left = 8;
        }
        bool v = (_bit_octet & 1) != 0;
        _bit_octet >>= 1;
        --_bits_left;
        return v;
    }

  private:
    bool need(std::size_t n)
    {
        if (!ok()) {
            return false;
        }
        if (n > _in.size() - _pos) {
            fail(reply_code::frame_error,
                 "truncated: needed " + std::to_string(n) + " more byte(s) at offset " + std::to_string(_pos) +
                   ", have " + std::to_string(_in.size() - _pos));
            return false;
        }
        return true;
    }
    template<std::size_t N>
    std::uint64_t take()
    {
        _bits_left = 0;
        if (!need(N)) {
            return 0;
        }
        std::uint64_t v = 0;
        for (std::size_t i = 0; i < N; ++i) {
            v = (v << 8) | static_cast<std::uint8_t>(_in[_pos + i]);
        }
        _pos += N;
        return v;
    }

    std::string_view _in;
    std::size_t _pos = 0;
    std::uint8_t _bit_octet = 0;
    int _bits_left = 0;
    std::optional<amqp_error> _error;
};

/// Appends fields to a string. Short strings longer than 255 bytes are cut to 255: they can
/// only come from another protocol (a long MQTT topic as a routing key), never from an AMQP
/// peer, and a cut name is better than a corrupt frame.
class wire_writer
{
  public:
    explicit wire_writer(std::string& out) noexcept
      : _out(out)
    {
    }

    void u8(std::uint8_t v)
    {
        flush_bits();
        _out.push_back(static_cast<char>(v));
    }
    void u16(std::uint16_t v) { put<2>(v); }
    void u32(std::uint32_t v) { put<4>(v); }
    void u64(std::uint64_t v) { put<8>(v); }
    void raw(std::string_view s)
    {
        flush_bits();
        _out.append(s);
    }
    void shortstr(std::string_view s)
    {
        if (s.size() > 255) {
            s = s.substr(0, 255);
        }
        u8(static_cast<std::uint8_t>(s.size()));
        _out.append(s);
    }
    void longstr(std::string_view s)
    {
        u32(static_cast<std::uint32_t>(s.size()));
        _out.append(s);
    }
    void bit(bool v)
    {
        if (_bit_count == 8) {
            flush_bits();
        }
        if (_bit_count == 0) {
            _bit_at = _out.size();
            _out.push_back('\0');
        }
        if (v) {
            _out[_bit_at] = static_cast<char>(static_cast<std::uint8_t>(_out[_bit_at]) | (1u << _bit_count));
        }
        ++_bit_count;
    }

    std::size_t size() const noexcept { return _out.size(); }
    /// Overwrites 4 bytes at `at` (a length written before its content was known).
    void patch_u32(std::size_t at, std::uint32_t v)
    {
        for (int i = 3; i >= 0; --i) {
            _out[at + static_cast<std::size_t>(i)] = static_cast<char>(v & 0xff);
            v >>= 8;
        }
    }
    /// Ends a run of bit fields (the next bit starts a new octet).
    void flush_bits() noexcept { _bit_count = 0; }

  private:
    template<std::size_t N>
    void put(std::uint64_t v)
    {
        flush_bits();
        char b[N];
        for (std::size_t i = 0; i < N; ++i) {
            b[N - 1 - i] = static_cast<char>(v & 0xff);
            v >>= 8;
        }
        _out.append(b, N);
    }

    std::string& _out;
    std::size_t _bit_at = 0;
    int _bit_count = 0;
};

} // namespace plexus::protocol::amqp091
