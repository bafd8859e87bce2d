// wire_reader: reads Kafka's primitive types (big-endian integers, varints, classic and compact
// strings, bytes and arrays, tagged field sections) from one request held in memory.
//
// Failure is sticky: a read past the end or a length that cannot fit sets the reader failed,
// later reads return zero values, and the caller checks ok() once after decoding a whole
// message. That keeps the generated codecs free of error plumbing and never lets wire input
// reach an assertion or a huge allocation.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace plexus::protocol::kafka {

using kafka_uuid = std::array<std::uint8_t, 16>;

class wire_reader
{
  public:
    explicit wire_reader(std::string_view data) noexcept
      : _data(data)
    {
    }

    bool ok() const noexcept { return !_failed; }
    std::size_t remaining() const noexcept { return _failed ? 0 : _data.size() - _pos; }
    std::size_t position() const noexcept { return _pos; }
    void fail() noexcept { _failed = true; }

    bool boolean() noexcept { return int8() != 0; }
    std::int8_t int8() noexcept { return static_cast<std::int8_t>(fixed(1)); }
    std::int16_t int16() noexcept { return static_cast<std::int16_t>(fixed(2)); }
    std::uint16_t uint16() noexcept { return static_cast<std::uint16_t>(fixed(2)); }
    std::int32_t int32() noexcept { return static_cast<std::int32_t>(fixed(4)); }
    std::int64_t int64() noexcept { return static_cast<std::int64_t>(fixed(8)); }
    double float64() noexcept;
    kafka_uuid uuid() noexcept;
    std::uint32_t uvarint() noexcept;
    std::uint64_t uvarlong() noexcept;
    /// Zig-zag signed varints, as record fields use them.
    std::int32_t varint() noexcept;
    std::int64_t varlong() noexcept;

    /// A string; null (where the definition allows none) reads as empty.
    std::string string(bool compact) noexcept { return nullable_string(compact).value_or(std::string()); }
    std::optional<std::string> nullable_string(bool compact) noexcept;
    std::string bytes(bool compact) noexcept { return nullable_bytes(compact).value_or(std::string()); }
    std::optional<std::string> nullable_bytes(bool compact) noexcept;
    /// An array's element count, -1 for null (refused unless `nullable`). A count larger than
    /// the bytes left cannot be real (every element takes at least one byte) and fails.
    std::int32_t array_length(bool compact, bool nullable) noexcept;
    /// `n` raw bytes as a view into the request; empty and failed when fewer are left.
    std::string_view raw(std::size_t n) noexcept;

    /// A tagged field section: `field(tag, sub_reader)` reads a known tag from a reader over
    /// exactly its bytes and returns true; false skips it (unknown tags are allowed).
    template<class F>
    void tagged_fields(F&& field) noexcept
    {
        std::uint32_t count = uvarint();
        for (std::uint32_t i = 0; i < count && ok(); ++i) {
            std::uint32_t tag = uvarint();
            std::uint32_t size = uvarint();
            std::string_view value = raw(size);
            if (!ok()) {
                return;
            }
            wire_reader sub(value);
            if (field(tag, sub) && !sub.ok()) {
                fail();
            }
        }
    }

  private:
    std::uint64_t fixed(std::size_t n) noexcept;
    std::optional<std::string> sized(std::int64_t length) noexcept;

    std::string_view _data;
    std::size_t _pos = 0;
    bool _failed = false;
};

} // namespace plexus::protocol::kafka
