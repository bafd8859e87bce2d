#include "record_codec.h"

#include "varint.h"

#include <cstring>
#include <limits>
#include <new>

namespace plexus::storage {

namespace {

constexpr std::uint8_t record_format_v1 = 1;

enum header_tag : std::uint8_t
{
    tag_none = 0,
    tag_bool = 1,
    tag_int = 2,
    tag_double = 3,
    tag_string = 4,
};

enum property_flags : std::uint8_t
{
    flag_persistent = 1,
    flag_has_ttl = 2,
};

std::uint64_t zigzag(std::int64_t v) noexcept
{
    return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}

std::int64_t unzigzag(std::uint64_t v) noexcept
{
    return static_cast<std::int64_t>(v >> 1) ^ -static_cast<std::int64_t>(v & 1);
}

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
    put_varint(out, m.headers_.size());
    for (const auto& h : m.headers_) {
        put_string(out, h.key);
        if (const auto* b = std::get_if<bool>(&h.value)) {
            out.push_back(static_cast<char>(tag_bool));
            out.push_back(*b ? 1 : 0);
        } else if (const auto* i = std::get_if<std::int64_t>(&h.value)) {
            out.push_back(static_cast<char>(tag_int));
            put_varint(out, zigzag(*i));
        } else if (const auto* d = std::get_if<double>(&h.value)) {
            out.push_back(static_cast<char>(tag_double));
            char raw[8];
            std::memcpy(raw, d, 8);
            out.append(raw, 8);
        } else if (const auto* s = std::get_if<std::string>(&h.value)) {
            out.push_back(static_cast<char>(tag_string));
            put_string(out, *s);
        } else {
            out.push_back(static_cast<char>(tag_none));
        }
    }
    put_varint(out, m.body.size());
    m.body.for_each_fragment([&](const sdk::bytes& f) { out.append(f.as_string_view()); });
}

/// Reads fields from [pos, end) of a slab; every read checks bounds and latches failure.
class field_reader
{
  public:
    field_reader(const sdk::bytes& slab, std::size_t pos, std::size_t end) noexcept
      : _slab(slab)
      , _p(reinterpret_cast<const unsigned char*>(slab.data()))
      , _pos(pos)
      , _end(end)
    {
    }
    bool ok() const noexcept { return _ok; }
    std::size_t pos() const noexcept { return _pos; }

    std::uint64_t varint() noexcept
    {
        std::size_t pos = _pos;
        auto v = read_varint(std::string_view(reinterpret_cast<const char*>(_p), _end), pos);
        if (!v) {
            _ok = false;
            return 0;
        }
        _pos = pos;
        return *v;
    }
    std::uint8_t u8() noexcept
    {
        if (_pos >= _end) {
            _ok = false;
            return 0;
        }
        return _p[_pos++];
    }
    std::string_view raw(std::uint64_t n) noexcept
    {
        if (n > _end - _pos) {
            _ok = false;
            return {};
        }
        std::string_view s(reinterpret_cast<const char*>(_p + _pos), n);
        _pos += n;
        return s;
    }
    std::string string() { return std::string(raw(varint())); }
    sdk::bytes shared(std::uint64_t n) noexcept
    {
        if (n > _end - _pos) {
            _ok = false;
            return {};
        }
        auto b = _slab.share(_pos, n);
        _pos += n;
        return b;
    }

  private:
    const sdk::bytes& _slab;
    const unsigned char* _p;
    std::size_t _pos;
    std::size_t _end;
    bool _ok = true;
};

bool decode_fields(field_reader& r, sdk::message& m)
{
    if (r.u8() != record_format_v1) {
        return false;
    }
    m.timestamp = sdk::timestamp_ms(unzigzag(r.varint()));
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
        p.ttl_ms = unzigzag(r.varint());
    }
    p.priority = r.u8();
    const std::uint64_t header_count = r.varint();
    if (!r.ok() || header_count > std::numeric_limits<std::uint32_t>::max()) {
        return false;
    }
    for (std::uint64_t i = 0; i < header_count && r.ok(); ++i) {
        sdk::header h;
        h.key = r.string();
        switch (r.u8()) {
            case tag_none:
                break;
            case tag_bool:
                h.value = r.u8() != 0;
                break;
            case tag_int:
                h.value = unzigzag(r.varint());
                break;
            case tag_double: {
                double d = 0;
                auto raw = r.raw(8);
                if (raw.size() == 8) {
                    std::memcpy(&d, raw.data(), 8);
                }
                h.value = d;
                break;
            }
            case tag_string:
                h.value = r.string();
                break;
            default:
                return false;
        }
        m.headers_.push_back(std::move(h));
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
            field_reader length_reader(slab, pos, end);
            const std::uint64_t length = length_reader.varint();
            if (!length_reader.ok() || length > end - length_reader.pos()) {
                return sdk::status(sdk::errc::corruption, "record " + std::to_string(i) + " is truncated");
            }
            const std::size_t record_end = length_reader.pos() + length;
            field_reader r(slab, length_reader.pos(), record_end);
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

} // namespace plexus::storage
