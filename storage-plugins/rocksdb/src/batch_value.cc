#include "batch_value.h"

#include "key_codec.h"
#include "record_codec.h"

#include "plexus/sdk/field_codec.h"

namespace plexus::storage::rocks {

namespace {

void put_le(char* out, std::uint64_t v, int bytes) noexcept
{
    for (int i = 0; i < bytes; ++i) {
        out[i] = static_cast<char>(v & 0xff);
        v >>= 8;
    }
}

std::uint64_t get_le(const char* in, int bytes) noexcept
{
    std::uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; --i) {
        v = (v << 8) | static_cast<unsigned char>(in[i]);
    }
    return v;
}

} // namespace

void batch_encoder::start(std::uint64_t begin_bytes)
{
    _begin_bytes = begin_bytes;
    _size_bytes = 0;
    _count = 0;
    _max_timestamp = sdk::timestamp_ms(0);
    _table.clear();
    _records.clear();
}

void batch_encoder::add(const sdk::message& m)
{
    const std::uint64_t size = m.size_bytes();
    sdk::put_varint(_table, size);
    encode_record(m, _records);
    if (_count == 0 || m.timestamp > _max_timestamp) {
        _max_timestamp = m.timestamp;
    }
    _size_bytes += size;
    ++_count;
}

std::span<const rocksdb::Slice, 3> batch_encoder::parts()
{
    _header[0] = static_cast<char>(storage_format_version);
    put_le(_header + 1, _count, 4);
    put_le(_header + 5, static_cast<std::uint64_t>(_max_timestamp()), 8);
    put_le(_header + 13, _begin_bytes, 8);
    put_le(_header + 21, _size_bytes, 8);
    put_le(_header + 29, _table.size(), 4);
    _parts[0] = rocksdb::Slice(_header, batch_header_size);
    _parts[1] = rocksdb::Slice(_table);
    _parts[2] = rocksdb::Slice(_records);
    return std::span<const rocksdb::Slice, 3>(_parts);
}

std::optional<batch_view> batch_view::parse(const rocksdb::Slice& value) noexcept
{
    if (value.size() < batch_header_size ||
        static_cast<unsigned char>(value[0]) != static_cast<unsigned char>(storage_format_version)) {
        return std::nullopt;
    }
    batch_view v;
    auto& h = v._header;
    h.count = static_cast<std::uint32_t>(get_le(value.data() + 1, 4));
    h.max_timestamp = sdk::timestamp_ms(static_cast<std::int64_t>(get_le(value.data() + 5, 8)));
    h.begin_bytes = get_le(value.data() + 13, 8);
    h.size_bytes = get_le(value.data() + 21, 8);
    h.table_bytes = static_cast<std::uint32_t>(get_le(value.data() + 29, 4));
    // Every record takes at least one byte of table and two of encoding.
    if (h.count == 0 || h.table_bytes < h.count || value.size() - batch_header_size < h.table_bytes + 2ull * h.count) {
        return std::nullopt;
    }
    const std::string_view all(value.data(), value.size());
    v._table = all.substr(batch_header_size, h.table_bytes);
    v._records = all.substr(batch_header_size + h.table_bytes);
    return v;
}

std::optional<std::uint64_t> batch_view::sizes::next() noexcept
{
    return sdk::read_varint(_table, _pos);
}

std::optional<std::uint64_t> batch_view::bytes_before(std::uint32_t n) const noexcept
{
    if (n > _header.count) {
        return std::nullopt;
    }
    auto s = record_sizes();
    std::uint64_t total = 0;
    for (std::uint32_t i = 0; i < n; ++i) {
        auto size = s.next();
        if (!size) {
            return std::nullopt;
        }
        total += *size;
    }
    return total;
}

} // namespace plexus::storage::rocks
