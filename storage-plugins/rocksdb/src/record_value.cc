#include "record_value.h"

#include "record_codec.h"

namespace plexus::storage::rocks {

namespace {

constexpr char record_format_v1 = 1;

void put_le64(char* out, std::uint64_t v) noexcept
{
    for (int i = 0; i < 8; ++i) {
        out[i] = static_cast<char>(v & 0xff);
        v >>= 8;
    }
}

std::uint64_t get_le64(const char* in) noexcept
{
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i) {
        v = (v << 8) | static_cast<unsigned char>(in[i]);
    }
    return v;
}

} // namespace

void encode_record_value(const sdk::message& m, std::uint64_t begin_bytes, std::string& out)
{
    out.assign(record_header_size, '\0');
    out[0] = record_format_v1;
    put_le64(out.data() + 1, static_cast<std::uint64_t>(m.timestamp()));
    put_le64(out.data() + 9, begin_bytes);
    put_le64(out.data() + 17, m.size_bytes());
    encode_record(m, out);
}

std::optional<record_header> decode_record_header(const rocksdb::Slice& value) noexcept
{
    if (value.size() <= record_header_size || value[0] != record_format_v1) {
        return std::nullopt;
    }
    record_header h;
    h.timestamp = sdk::timestamp_ms(static_cast<std::int64_t>(get_le64(value.data() + 1)));
    h.begin_bytes = get_le64(value.data() + 9);
    h.size_bytes = get_le64(value.data() + 17);
    return h;
}

} // namespace plexus::storage::rocks
