#include "field_table.h"

#include <bit>

namespace plexus::protocol::amqp091 {
namespace {

// Deep enough for any real header (x-death is an array of tables of arrays); shallow enough
// that a hostile frame of nested 'F's cannot exhaust the shard's stack.
constexpr int max_depth = 32;

std::string describe_tag(char tag)
{
    auto c = static_cast<unsigned char>(tag);
    if (c >= 0x20 && c < 0x7f) {
        return std::string("'") + tag + "'";
    }
    static constexpr char hex[] = "0123456789abcdef";
    return std::string("0x") + hex[c >> 4] + hex[c & 15];
}

} // namespace

field_value field_value::table(field_table t)
{
    field_value v;
    v.tag = 'F';
    v.value = std::move(t);
    return v;
}

field_value field_value::array(field_array a)
{
    field_value v;
    v.tag = 'A';
    v.value = std::move(a);
    return v;
}

bool field_value::operator==(const field_value& o) const
{
    return tag == o.tag && value == o.value;
}

const field_value* find_field(const field_table& t, std::string_view key) noexcept
{
    for (const auto& e : t) {
        if (e.key == key) {
            return &e.value;
        }
    }
    return nullptr;
}

bool known_field_tag(char tag) noexcept
{
    switch (tag) {
        case 't':
        case 'b':
        case 'B':
        case 'U':
        case 's':
        case 'u':
        case 'I':
        case 'i':
        case 'L':
        case 'l':
        case 'f':
        case 'd':
        case 'D':
        case 'S':
        case 'x':
        case 'T':
        case 'A':
        case 'F':
        case 'V':
            return true;
        default:
            return false;
    }
}

field_value read_value(wire_reader& r, char tag, int depth)
{
    field_value v;
    v.tag = tag;
    switch (tag) {
        case 't':
            v.value = r.u8() != 0;
            break;
        case 'b':
            v.value = std::int64_t{ static_cast<std::int8_t>(r.u8()) };
            break;
        case 'B':
            v.value = std::int64_t{ r.u8() };
            break;
        case 'U':
        case 's':
            v.value = std::int64_t{ static_cast<std::int16_t>(r.u16()) };
            break;
        case 'u':
            v.value = std::int64_t{ r.u16() };
            break;
        case 'I':
            v.value = std::int64_t{ static_cast<std::int32_t>(r.u32()) };
            break;
        case 'i':
            v.value = std::int64_t{ r.u32() };
            break;
        case 'L':
        case 'l':
        case 'T':
            v.value = static_cast<std::int64_t>(r.u64());
            break;
        case 'f':
            v.value = double{ std::bit_cast<float>(r.u32()) };
            break;
        case 'd':
            v.value = std::bit_cast<double>(r.u64());
            break;
        case 'D': {
            decimal_value d;
            d.scale = r.u8();
            d.unscaled = static_cast<std::int32_t>(r.u32());
            v.value = d;
            break;
        }
        case 'S':
        case 'x':
            v.value = std::string(r.longstr());
            break;
        case 'V':
            break;
        case 'F':
        case 'A': {
            if (depth >= max_depth) {
                r.fail(reply_code::syntax_error,
                       "field table nested deeper than " + std::to_string(max_depth) + " levels");
                break;
            }
            std::uint32_t len = r.u32();
            wire_reader inner(r.raw(len));
            if (!r.ok()) {
                break;
            }
            if (tag == 'F') {
                v.value = read_table_entries(inner, depth + 1);
            } else {
                field_array a;
                while (inner.ok() && inner.remaining() > 0) {
                    char t = static_cast<char>(inner.u8());
                    if (!known_field_tag(t)) {
                        inner.fail(reply_code::syntax_error, "unknown field type " + describe_tag(t) + " in an array");
                        break;
                    }
                    a.push_back(read_value(inner, t, depth + 1));
                }
                v.value = std::move(a);
            }
            if (!inner.ok()) {
                r.fail(inner.error()->code, inner.error()->text);
            }
            break;
        }
        default:
            r.fail(reply_code::syntax_error, "unknown field type " + describe_tag(tag));
            break;
    }
    return v;
}

field_table read_table_entries(wire_reader& r, int depth)
{
    field_table t;
    while (r.ok() && r.remaining() > 0) {
        field_entry e;
        e.key = std::string(r.shortstr());
        char tag = static_cast<char>(r.u8());
        if (!r.ok()) {
            break;
        }
        if (!known_field_tag(tag)) {
            r.fail(reply_code::syntax_error, "unknown field type " + describe_tag(tag) + " for key '" + e.key + "'");
            break;
        }
        e.value = read_value(r, tag, depth);
        t.push_back(std::move(e));
    }
    return t;
}

field_table read_table(wire_reader& r)
{
    std::uint32_t len = r.u32();
    wire_reader inner(r.raw(len));
    if (!r.ok()) {
        return {};
    }
    field_table t = read_table_entries(inner);
    if (!inner.ok()) {
        r.fail(inner.error()->code, inner.error()->text);
        return {};
    }
    return t;
}

void write_value(wire_writer& w, const field_value& v)
{
    // A value built in code with an unknown tag travels as void rather than corrupting the
    // rest of the table.
    const char tag = known_field_tag(v.tag) ? v.tag : 'V';
    w.u8(static_cast<std::uint8_t>(tag));
    auto as_int = [&]() -> std::int64_t {
        if (const auto* i = std::get_if<std::int64_t>(&v.value)) {
            return *i;
        }
        if (const auto* b = std::get_if<bool>(&v.value)) {
            return *b ? 1 : 0;
        }
        if (const auto* d = std::get_if<double>(&v.value)) {
            return static_cast<std::int64_t>(*d);
        }
        return 0;
    };
    auto as_double = [&]() -> double {
        if (const auto* d = std::get_if<double>(&v.value)) {
            return *d;
        }
        return static_cast<double>(as_int());
    };
    auto as_string = [&]() -> std::string_view {
        if (const auto* s = std::get_if<std::string>(&v.value)) {
            return *s;
        }
        return {};
    };
    switch (tag) {
        case 't':
            w.u8(as_int() != 0 ? 1 : 0);
            break;
        case 'b':
        case 'B':
            w.u8(static_cast<std::uint8_t>(as_int()));
            break;
        case 'U':
        case 's':
        case 'u':
            w.u16(static_cast<std::uint16_t>(as_int()));
            break;
        case 'I':
        case 'i':
            w.u32(static_cast<std::uint32_t>(as_int()));
            break;
        case 'L':
        case 'l':
        case 'T':
            w.u64(static_cast<std::uint64_t>(as_int()));
            break;
        case 'f':
            w.u32(std::bit_cast<std::uint32_t>(static_cast<float>(as_double())));
            break;
        case 'd':
            w.u64(std::bit_cast<std::uint64_t>(as_double()));
            break;
        case 'D': {
            decimal_value d;
            if (const auto* p = std::get_if<decimal_value>(&v.value)) {
                d = *p;
            }
            w.u8(d.scale);
            w.u32(static_cast<std::uint32_t>(d.unscaled));
            break;
        }
        case 'S':
        case 'x':
            w.longstr(as_string());
            break;
        case 'F':
            if (const auto* t = std::get_if<field_table>(&v.value)) {
                write_table(w, *t);
            } else {
                w.u32(0);
            }
            break;
        case 'A': {
            std::size_t at = w.size();
            w.u32(0);
            if (const auto* a = std::get_if<field_array>(&v.value)) {
                for (const auto& e : *a) {
                    write_value(w, e);
                }
            }
            w.patch_u32(at, static_cast<std::uint32_t>(w.size() - at - 4));
            break;
        }
        default: // 'V'
            break;
    }
}

void write_table(wire_writer& w, const field_table& t)
{
    std::size_t at = w.size();
    w.u32(0);
    for (const auto& e : t) {
        w.shortstr(e.key);
        write_value(w, e.value);
    }
    w.patch_u32(at, static_cast<std::uint32_t>(w.size() - at - 4));
}

} // namespace plexus::protocol::amqp091
