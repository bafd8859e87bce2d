// AMQP field tables and arrays (spec §4.2.5.5 with RabbitMQ's errata): every value keeps the
// type tag it arrived with, so a table decoded and encoded again is byte-for-byte the same.
//
// Tags, as RabbitMQ and its clients use them:
//   t bool   b int8   B uint8   U int16 (spec)   s int16 (RabbitMQ)   u uint16
//   I int32  i uint32 L int64 (spec)  l int64 (RabbitMQ)   f float   d double
//   D decimal (scale octet + int32)   S long string   x byte array   T timestamp (uint64 s)
//   A array  F table  V void
#pragma once

#include "wire.h"

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace plexus::protocol::amqp091 {

struct field_value;
struct field_entry;
using field_table = std::vector<field_entry>;
using field_array = std::vector<field_value>;

struct decimal_value
{
    std::uint8_t scale = 0; ///< digits after the point
    std::int32_t unscaled = 0;
    bool operator==(const decimal_value&) const = default;
};

/// One value. Every integer tag is held as int64 (uint64 timestamps bit-cast), floats as
/// double; `tag` says how it travels.
struct field_value
{
    using storage =
      std::variant<std::monostate, bool, std::int64_t, double, std::string, decimal_value, field_table, field_array>;

    char tag = 'V';
    storage value;

    static field_value boolean(bool b) { return { 't', b }; }
    static field_value integer(std::int64_t i, char tag = 'l') { return { tag, i }; }
    static field_value floating(double d, char tag = 'd') { return { tag, d }; }
    static field_value string(std::string s, char tag = 'S') { return { tag, std::move(s) }; }
    static field_value table(field_table t);
    static field_value array(field_array a);
    static field_value void_value() { return {}; }

    bool operator==(const field_value& o) const;
};

struct field_entry
{
    std::string key;
    field_value value;
    bool operator==(const field_entry& o) const { return key == o.key && value == o.value; }
};

/// First value with `key`, or nullptr.
const field_value* find_field(const field_table& t, std::string_view key) noexcept;

/// True when `tag` is one of the tags above.
bool known_field_tag(char tag) noexcept;

/// A table with its 32-bit length prefix. Unknown tags fail with syntax-error (502), data that
/// ends early with frame-error (501); tables and arrays nest at most 32 deep.
field_table read_table(wire_reader& r);
void write_table(wire_writer& w, const field_table& t);

/// One value after its tag has been read (used by AMQPLAIN, whose table has no length).
field_value read_value(wire_reader& r, char tag, int depth = 0);
void write_value(wire_writer& w, const field_value& v);

/// Entries without the 32-bit length prefix, until the input ends (AMQPLAIN's response).
field_table read_table_entries(wire_reader& r, int depth = 0);

} // namespace plexus::protocol::amqp091
