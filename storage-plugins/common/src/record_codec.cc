#include "record_codec.h"

#include "plexus/sdk/field_codec.h"

#include <array>
#include <cstring>
#include <limits>
#include <new>

namespace plexus::storage {

using sdk::read_headers;
using sdk::zigzag;

namespace {

constexpr std::uint8_t record_format_v1 = 1;

enum property_flags : std::uint8_t
{
    flag_persistent = 1,
    flag_has_ttl = 2,
};

/// The eight text properties, in their stored order.
constexpr std::array<std::string sdk::message_properties::*, 8> text_properties = {
    &sdk::message_properties::content_type,   &sdk::message_properties::content_encoding,
    &sdk::message_properties::correlation_id, &sdk::message_properties::reply_to,
    &sdk::message_properties::message_id,     &sdk::message_properties::type,
    &sdk::message_properties::user_id,        &sdk::message_properties::app_id,
};

/// True when none of the text properties is set, as for most records from MQTT and Kafka:
/// each is then a single zero length byte, and they are written in one go.
bool no_text_properties(const sdk::message_properties& p) noexcept
{
    std::size_t any = 0;
    for (auto field : text_properties) {
        any |= (p.*field).size();
    }
    return any == 0;
}

/// Walks a record's fields in their stored order, handing each to `w`: one description of
/// the format serves both measuring a record and writing it.
template<class Writer>
void visit_fields(const sdk::message& m, std::string_view headers, Writer& w)
{
    w.byte(record_format_v1);
    w.varint(zigzag(m.timestamp()));
    w.string(m.exchange);
    w.string(m.routing_key);
    w.string(m.key);
    const auto& p = m.properties;
    if (no_text_properties(p)) {
        w.zeros(text_properties.size());
    } else {
        for (auto field : text_properties) {
            w.string(p.*field);
        }
    }
    w.byte((p.persistent ? flag_persistent : 0) | (p.ttl_ms ? flag_has_ttl : 0));
    if (p.ttl_ms) {
        w.varint(zigzag(*p.ttl_ms));
    }
    w.byte(p.priority);
    w.raw(headers);
    w.varint(m.body.size());
    m.body.for_each_fragment([&](const sdk::bytes& f) { w.raw(f.as_string_view()); });
}

std::size_t varint_size(std::uint64_t v) noexcept
{
    std::size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        ++n;
    }
    return n;
}

/// Counts the bytes a record takes.
struct size_counter
{
    std::size_t n = 0;
    void byte(std::uint8_t) noexcept { ++n; }
    void varint(std::uint64_t v) noexcept { n += varint_size(v); }
    void string(std::string_view s) noexcept { n += varint_size(s.size()) + s.size(); }
    void raw(std::string_view s) noexcept { n += s.size(); }
    void zeros(std::size_t count) noexcept { n += count; }
};

/// Writes a record into space already sized for it.
struct pointer_writer
{
    char* p;
    void byte(std::uint8_t b) noexcept { *p++ = static_cast<char>(b); }
    void varint(std::uint64_t v) noexcept
    {
        while (v >= 0x80) {
            *p++ = static_cast<char>((v & 0x7f) | 0x80);
            v >>= 7;
        }
        *p++ = static_cast<char>(v);
    }
    void string(std::string_view s) noexcept
    {
        varint(s.size());
        raw(s);
    }
    void raw(std::string_view s) noexcept
    {
        if (!s.empty()) {
            std::memcpy(p, s.data(), s.size());
            p += s.size();
        }
    }
    void zeros(std::size_t count) noexcept
    {
        std::memset(p, 0, count);
        p += count;
    }
};

/// Reads the fields of one record in [pos, end) of a slab; the body is shared, not copied.
class record_reader : public sdk::field_reader
{
  public:
    record_reader(const sdk::bytes& slab, std::size_t pos, std::size_t end) noexcept
      : field_reader(slab.as_string_view().substr(0, end), pos)
      , _slab(slab)
    {
    }
    sdk::bytes shared(std::uint64_t n) noexcept
    {
        const auto at = pos();
        return raw(n).size() == n && ok() ? _slab.share(at, n) : sdk::bytes{};
    }

  private:
    const sdk::bytes& _slab;
};

bool decode_fields(record_reader& r, sdk::message& m)
{
    if (r.u8() != record_format_v1) {
        return false;
    }
    m.timestamp = sdk::timestamp_ms(r.signed_varint());
    m.exchange = r.string();
    m.routing_key = r.string();
    m.key = r.string();
    auto& p = m.properties;
    for (auto field : text_properties) {
        p.*field = r.string();
    }
    const std::uint8_t flags = r.u8();
    p.persistent = (flags & flag_persistent) != 0;
    if ((flags & flag_has_ttl) != 0) {
        p.ttl_ms = r.signed_varint();
    }
    p.priority = r.u8();
    if (!read_headers(r, m.headers_)) {
        return false;
    }
    m.body = sdk::buffer_chain(r.shared(r.varint()));
    return r.ok();
}

} // namespace

void encode_record(const sdk::message& m, std::string& out)
{
    // Measured first, then written in place: the length prefix goes in front without moving
    // the record, and the buffer grows once (the hot path of every durable append).
    constexpr std::string_view no_headers("\0", 1); // a table of zero headers
    std::string table;
    if (!m.headers_.empty()) {
        sdk::put_headers(table, m.headers_);
    }
    const std::string_view headers = m.headers_.empty() ? no_headers : std::string_view(table);
    size_counter size;
    visit_fields(m, headers, size);
    const std::size_t start = out.size();
    out.resize(start + varint_size(size.n) + size.n);
    pointer_writer w{ out.data() + start };
    w.varint(size.n);
    visit_fields(m, headers, w);
}

sdk::status decode_records(const sdk::bytes& slab,
                           std::size_t pos,
                           std::size_t end,
                           std::size_t count,
                           std::vector<sdk::message_ptr>& out) noexcept
{
    try {
        if (end > slab.size() || pos > end) {
            return sdk::status(sdk::errc::corruption, "record range outside its buffer");
        }
        out.reserve(out.size() + count);
        for (std::size_t i = 0; i < count; ++i) {
            record_reader length_reader(slab, pos, end);
            const std::uint64_t length = length_reader.varint();
            if (!length_reader.ok() || length > end - length_reader.pos()) {
                return sdk::status(sdk::errc::corruption, "record " + std::to_string(i) + " is truncated");
            }
            const std::size_t record_end = length_reader.pos() + length;
            record_reader r(slab, length_reader.pos(), record_end);
            auto m = std::make_shared<sdk::message>();
            if (!decode_fields(r, *m) || r.pos() != record_end) {
                return sdk::status(sdk::errc::corruption, "record " + std::to_string(i) + " is malformed");
            }
            out.push_back(std::move(m));
            pos = record_end;
        }
        return {};
    } catch (const std::bad_alloc&) {
        return sdk::status(sdk::errc::resource_exhausted, "out of memory decoding records");
    } catch (...) {
        return sdk::status(sdk::errc::corruption, "records could not be decoded");
    }
}

std::optional<record_extent> peek_record(std::string_view data, std::size_t pos) noexcept
{
    if (pos > data.size()) {
        return std::nullopt;
    }
    sdk::field_reader length_reader(data, pos);
    const std::uint64_t length = length_reader.varint();
    if (!length_reader.ok() || length > data.size() - length_reader.pos()) {
        return std::nullopt;
    }
    const std::size_t end = length_reader.pos() + static_cast<std::size_t>(length);
    sdk::field_reader r(data.substr(0, end), length_reader.pos());
    if (r.u8() != record_format_v1) {
        return std::nullopt;
    }
    const auto ts = r.signed_varint();
    if (!r.ok()) {
        return std::nullopt;
    }
    return record_extent{ end, sdk::timestamp_ms(ts) };
}

} // namespace plexus::storage
