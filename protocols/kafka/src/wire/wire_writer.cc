#include "wire/wire_writer.h"

#include <algorithm>
#include <bit>
#include <vector>

namespace plexus::protocol::kafka {

void wire_writer::fixed(std::uint64_t v, int n)
{
    for (int i = n - 1; i >= 0; --i) {
        _out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    }
}

void wire_writer::float64(double v)
{
    fixed(std::bit_cast<std::uint64_t>(v), 8);
}

void wire_writer::uvarint(std::uint64_t v)
{
    while (v >= 0x80) {
        _out.push_back(static_cast<char>((v & 0x7f) | 0x80));
        v >>= 7;
    }
    _out.push_back(static_cast<char>(v));
}

void wire_writer::string(bool compact, std::string_view s)
{
    if (compact) {
        uvarint(s.size() + 1);
    } else {
        int16(static_cast<std::int16_t>(s.size()));
    }
    raw(s);
}

void wire_writer::nullable_string(bool compact, const std::optional<std::string>& s)
{
    if (s) {
        string(compact, *s);
    } else if (compact) {
        uvarint(0);
    } else {
        int16(-1);
    }
}

void wire_writer::bytes(bool compact, std::string_view b)
{
    if (compact) {
        uvarint(b.size() + 1);
    } else {
        int32(static_cast<std::int32_t>(b.size()));
    }
    raw(b);
}

void wire_writer::nullable_bytes(bool compact, const std::optional<std::string>& b)
{
    if (b) {
        bytes(compact, *b);
    } else if (compact) {
        uvarint(0);
    } else {
        int32(-1);
    }
}

void wire_writer::array_length(bool compact, std::size_t n)
{
    if (compact) {
        uvarint(n + 1);
    } else {
        int32(static_cast<std::int32_t>(n));
    }
}

void wire_writer::null_array(bool compact)
{
    if (compact) {
        uvarint(0);
    } else {
        int32(-1);
    }
}

void wire_writer::patch_int32(std::size_t pos, std::uint32_t v)
{
    for (int i = 0; i < 4; ++i) {
        _out[pos + i] = static_cast<char>((v >> (8 * (3 - i))) & 0xff);
    }
}

void tagged_field_writer::write_to(wire_writer& w) const
{
    std::vector<const std::pair<std::uint32_t, wire_writer>*> sorted;
    for (const auto& f : _fields) {
        sorted.push_back(&f);
    }
    std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->first < b->first; });
    w.uvarint(sorted.size());
    for (const auto* f : sorted) {
        w.uvarint(f->first);
        w.uvarint(f->second.size());
        w.raw(f->second.data());
    }
}

} // namespace plexus::protocol::kafka
