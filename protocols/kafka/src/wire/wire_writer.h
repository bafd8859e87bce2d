// wire_writer: appends Kafka's primitive types to a growing response. Allocation failure
// throws std::bad_alloc, which the session catches at its boundary (no exception leaves the
// plugin).
#pragma once

#include "wire/wire_reader.h"

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace plexus::protocol::kafka {

class wire_writer
{
  public:
    const std::string& data() const noexcept { return _out; }
    std::string take() noexcept { return std::move(_out); }
    std::size_t size() const noexcept { return _out.size(); }
    /// Empties the buffer and keeps its capacity, for a writer reused record after record.
    void clear() noexcept { _out.clear(); }

    void boolean(bool v) { int8(v ? 1 : 0); }
    void int8(std::int8_t v) { fixed(static_cast<std::uint8_t>(v), 1); }
    void int16(std::int16_t v) { fixed(static_cast<std::uint16_t>(v), 2); }
    void uint16(std::uint16_t v) { fixed(v, 2); }
    void int32(std::int32_t v) { fixed(static_cast<std::uint32_t>(v), 4); }
    void int64(std::int64_t v) { fixed(static_cast<std::uint64_t>(v), 8); }
    void float64(double v);
    void uuid(const kafka_uuid& v) { raw(std::string_view(reinterpret_cast<const char*>(v.data()), v.size())); }
    void uvarint(std::uint64_t v);
    void varint(std::int64_t v) { uvarint((static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63)); }

    void string(bool compact, std::string_view s);
    void nullable_string(bool compact, const std::optional<std::string>& s);
    void bytes(bool compact, std::string_view b);
    void nullable_bytes(bool compact, const std::optional<std::string>& b);
    void array_length(bool compact, std::size_t n);
    void null_array(bool compact);
    void raw(std::string_view b) { _out.append(b); }
    /// Overwrites 4 bytes at `pos` (a length or CRC written after what it covers).
    void patch_int32(std::size_t pos, std::uint32_t v);

  private:
    void fixed(std::uint64_t v, int n);
    std::string _out;
};

/// Collects a struct's tagged fields (each written into its own buffer so its size is known)
/// and writes the section in ascending tag order, as the protocol requires.
class tagged_field_writer
{
  public:
    wire_writer& add(std::uint32_t tag)
    {
        _fields.emplace_back(tag, wire_writer());
        return _fields.back().second;
    }
    void write_to(wire_writer& w) const;

  private:
    std::deque<std::pair<std::uint32_t, wire_writer>> _fields; // deque: references stay valid
};

} // namespace plexus::protocol::kafka
