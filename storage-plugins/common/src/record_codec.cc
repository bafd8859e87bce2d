#include "record_codec.h"

#include "plexus/sdk/field_codec.h"

#include <cstring>
#include <limits>
#include <new>

namespace plexus::storage {

using sdk::put_headers;
using sdk::put_string;
using sdk::put_varint;
using sdk::read_headers;
using sdk::zigzag;

namespace {

constexpr std::uint8_t record_format_v1 = 1;

enum property_flags : std::uint8_t
{
    flag_persistent = 1,
    flag_has_ttl = 2,
};

void encode_fields(const sdk::message& m, std::string& out)
{
    out.push_back(static_cast<char>(record_format_v1));
    put_varint(out, zigzag(m.timestamp()));
    put_string(out, m.exchange);
    put_string(out, m.routing_key);
    put_string(out, m.key);
    const auto& p = m.properties;
    for (const std::string* s : { &p.content_type,
                                  &p.content_encoding,
                                  &p.correlation_id,
                                  &p.reply_to,
                                  &p.message_id,
                                  &p.type,
                                  &p.user_id,
                                  &p.app_id }) {
        put_string(out, *s);
    }
    std::uint8_t flags = (p.persistent ? flag_persistent : 0) | (p.ttl_ms ? flag_has_ttl : 0);
    out.push_back(static_cast<char>(flags));
    if (p.ttl_ms) {
        put_varint(out, zigzag(*p.ttl_ms));
    }
    out.push_back(static_cast<char>(p.priority));
    put_headers(out, m.headers_);
    put_varint(out, m.body.size());
    m.body.for_each_fragment([&](const sdk::bytes& f) { out.append(f.as_string_view()); });
}

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
    for (std::string* s : { &p.content_type,
                            &p.content_encoding,
                            &p.correlation_id,
                            &p.reply_to,
                            &p.message_id,
                            &p.type,
                            &p.user_id,
                            &p.app_id }) {
        *s = r.string();
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
    // The length prefix is written after the fields are known: reserve a fixed 5-byte slot
    // would waste space on small records, so encode into place and shift once.
    const std::size_t start = out.size();
    encode_fields(m, out);
    const std::size_t length = out.size() - start;
    std::string prefix;
    put_varint(prefix, length);
    out.insert(start, prefix);
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
