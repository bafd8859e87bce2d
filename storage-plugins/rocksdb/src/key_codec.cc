#include "key_codec.h"

#include <cstring>

namespace plexus::storage::rocks {

namespace {

/// Version byte of a log_meta value, so a later layout can be told apart.
constexpr char log_meta_v1 = 1;
constexpr std::size_t log_meta_size = 17;

void put_be64(char* out, std::uint64_t v) noexcept
{
    for (int i = 7; i >= 0; --i) {
        out[i] = static_cast<char>(v & 0xff);
        v >>= 8;
    }
}

std::uint64_t get_be64(const char* in) noexcept
{
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) {
        v = (v << 8) | static_cast<unsigned char>(in[i]);
    }
    return v;
}

/// Signed order as unsigned order: flip the sign bit.
std::uint64_t ordered(std::int64_t v) noexcept
{
    return static_cast<std::uint64_t>(v) ^ (std::uint64_t{ 1 } << 63);
}

std::int64_t unordered(std::uint64_t v) noexcept
{
    return static_cast<std::int64_t>(v ^ (std::uint64_t{ 1 } << 63));
}

bool belongs_to(const rocksdb::Slice& key, log_id id) noexcept
{
    return key.size() == fixed_key::size && get_be64(key.data()) == id();
}

} // namespace

fixed_key fixed_key::batch(log_id id, sdk::offset o) noexcept
{
    fixed_key k;
    put_be64(k._bytes, id());
    // Offsets are never negative, so their two's complement bits already sort.
    put_be64(k._bytes + 8, static_cast<std::uint64_t>(o()));
    return k;
}

fixed_key fixed_key::index(log_id id, sdk::timestamp_ms ts) noexcept
{
    fixed_key k;
    put_be64(k._bytes, id());
    put_be64(k._bytes + 8, ordered(ts()));
    return k;
}

fixed_key fixed_key::first_of(log_id id) noexcept
{
    fixed_key k;
    put_be64(k._bytes, id());
    put_be64(k._bytes + 8, 0);
    return k;
}

std::optional<sdk::offset> offset_of_batch_key(const rocksdb::Slice& key, log_id id) noexcept
{
    if (!belongs_to(key, id)) {
        return std::nullopt;
    }
    return sdk::offset(static_cast<std::int64_t>(get_be64(key.data() + 8)));
}

std::optional<sdk::timestamp_ms> timestamp_of_index_key(const rocksdb::Slice& key, log_id id) noexcept
{
    if (!belongs_to(key, id)) {
        return std::nullopt;
    }
    return sdk::timestamp_ms(unordered(get_be64(key.data() + 8)));
}

std::string encode_index_value(sdk::offset after)
{
    std::string v(8, '\0');
    put_be64(v.data(), static_cast<std::uint64_t>(after()));
    return v;
}

std::optional<sdk::offset> decode_index_value(const rocksdb::Slice& value) noexcept
{
    if (value.size() != 8) {
        return std::nullopt;
    }
    return sdk::offset(static_cast<std::int64_t>(get_be64(value.data())));
}

std::string encode_log_meta(const log_meta& m)
{
    std::string v(log_meta_size, '\0');
    v[0] = log_meta_v1;
    put_be64(v.data() + 1, m.id());
    put_be64(v.data() + 9, static_cast<std::uint64_t>(m.start()));
    return v;
}

std::optional<log_meta> decode_log_meta(const rocksdb::Slice& value) noexcept
{
    if (value.size() != log_meta_size || value[0] != log_meta_v1) {
        return std::nullopt;
    }
    log_meta m;
    m.id = log_id(get_be64(value.data() + 1));
    m.start = sdk::offset(static_cast<std::int64_t>(get_be64(value.data() + 9)));
    if (m.id() == 0 || m.start() < 0) {
        return std::nullopt;
    }
    return m;
}

} // namespace plexus::storage::rocks
