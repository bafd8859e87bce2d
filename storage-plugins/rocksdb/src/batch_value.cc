#include "batch_value.h"

#include "encoded_batch.h"
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

/// A reused buffer keeps at most this much capacity between appends: an encoded batch may be
/// far larger than a stored batch of messages, and a log should not hold its size for good.
constexpr std::size_t retained_capacity = 1u << 20;

void clear_buffer(std::string& s)
{
    if (s.capacity() > retained_capacity) {
        std::string().swap(s);
    } else {
        s.clear();
    }
}

} // namespace

void batch_encoder::start(std::uint64_t begin_bytes)
{
    _encoded = false;
    _begin_bytes = begin_bytes;
    _size_bytes = 0;
    _count = 0;
    _max_timestamp = sdk::timestamp_ms(0);
    _table.clear();
    clear_buffer(_records);
}

void batch_encoder::start_encoded(const sdk::encoded_records& e, sdk::offset base, std::uint64_t begin_bytes)
{
    start(begin_bytes);
    _encoded = true;
    _table.assign(e.format);
    append_rebased(e, base, _records);
    _size_bytes = e.bytes.size(); // record_batch::size_bytes() of an encoded batch
    _count = e.count;
    _max_timestamp = e.max_timestamp;
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
    _header[0] = static_cast<char>(_encoded ? storage_format_encoded : storage_format_version);
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
    if (value.size() < batch_header_size) {
        return std::nullopt;
    }
    const auto format = static_cast<unsigned char>(value[0]);
    if (format != storage_format_version && format != storage_format_encoded) {
        return std::nullopt;
    }
    batch_view v;
    auto& h = v._header;
    h.encoded = format == storage_format_encoded;
    h.count = static_cast<std::uint32_t>(get_le(value.data() + 1, 4));
    h.max_timestamp = sdk::timestamp_ms(static_cast<std::int64_t>(get_le(value.data() + 5, 8)));
    h.begin_bytes = get_le(value.data() + 13, 8);
    h.size_bytes = get_le(value.data() + 21, 8);
    h.table_bytes = static_cast<std::uint32_t>(get_le(value.data() + 29, 4));
    const std::string_view all(value.data(), value.size());
    if (h.encoded) {
        // A format name of 1 to 255 bytes (check_encoded()), then exactly size_bytes of bytes.
        const std::size_t after_header = value.size() - batch_header_size;
        if (h.count == 0 || h.table_bytes == 0 || h.table_bytes > 255 || after_header < h.table_bytes ||
            h.size_bytes != after_header - h.table_bytes) {
            return std::nullopt;
        }
        v._format_name = all.substr(batch_header_size, h.table_bytes);
        v._records = all.substr(batch_header_size + h.table_bytes);
        return v;
    }
    // Every record takes at least one byte of table and two of encoding.
    if (h.count == 0 || h.table_bytes < h.count || value.size() - batch_header_size < h.table_bytes + 2ull * h.count) {
        return std::nullopt;
    }
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
    if (_header.encoded) {
        return n == _header.count ? _header.size_bytes : 0;
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
