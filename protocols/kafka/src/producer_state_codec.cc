#include "producer_state_codec.h"

#include "plexus/sdk/field_codec.h"

#include <limits>

namespace plexus::protocol::kafka {
namespace {

constexpr char format_v1 = 1;
constexpr std::size_t most_batches = 64; // far above the five kept: a bound for decoding

template<class T>
bool read_signed(std::string_view in, std::size_t& pos, T& out)
{
    auto v = sdk::read_varint(in, pos);
    if (!v) {
        return false;
    }
    auto s = sdk::unzigzag(*v);
    if (s < std::numeric_limits<T>::min() || s > std::numeric_limits<T>::max()) {
        return false;
    }
    out = static_cast<T>(s);
    return true;
}

} // namespace

std::string producer_ids_key(std::string_view vhost)
{
    std::string k = "producer-ids/";
    sdk::put_string(k, vhost);
    return k;
}

std::string encode_producer_id(std::int64_t next)
{
    std::string out(1, format_v1);
    sdk::put_varint(out, sdk::zigzag(next));
    return out;
}

std::optional<std::int64_t> decode_producer_id(std::string_view value)
{
    std::size_t pos = 1;
    std::int64_t next = 0;
    if (value.empty() || value[0] != format_v1 || !read_signed(value, pos, next) || pos != value.size()) {
        return std::nullopt;
    }
    return next;
}

std::string producer_states_prefix(std::string_view vhost)
{
    std::string k = "producer-seq/";
    sdk::put_string(k, vhost);
    return k;
}

std::string producer_state_key(std::string_view vhost, const producer_partition& which)
{
    std::string k = producer_states_prefix(vhost);
    sdk::put_varint(k, sdk::zigzag(which.producer_id));
    sdk::put_string(k, which.topic);
    sdk::put_varint(k, sdk::zigzag(which.partition));
    return k;
}

std::optional<producer_partition> decode_producer_state_key(std::string_view after_prefix)
{
    producer_partition out;
    std::size_t pos = 0;
    if (!read_signed(after_prefix, pos, out.producer_id)) {
        return std::nullopt;
    }
    auto topic = sdk::read_string(after_prefix, pos);
    if (!topic || !read_signed(after_prefix, pos, out.partition) || pos != after_prefix.size()) {
        return std::nullopt;
    }
    out.topic = std::string(*topic);
    return out;
}

std::string encode_partition_state(const stored_partition_state& state)
{
    std::string out(1, format_v1);
    sdk::put_varint(out, sdk::zigzag(state.epoch));
    sdk::put_varint(out, sdk::zigzag(state.next_sequence));
    sdk::put_varint(out, sdk::zigzag(state.updated_ms));
    sdk::put_varint(out, state.recent.size());
    for (const auto& b : state.recent) {
        sdk::put_varint(out, sdk::zigzag(b.first_sequence));
        sdk::put_varint(out, sdk::zigzag(b.count));
        sdk::put_varint(out, sdk::zigzag(b.offset));
    }
    return out;
}

std::optional<stored_partition_state> decode_partition_state(std::string_view value)
{
    stored_partition_state s;
    std::size_t pos = 1;
    if (value.empty() || value[0] != format_v1 || !read_signed(value, pos, s.epoch) ||
        !read_signed(value, pos, s.next_sequence) || !read_signed(value, pos, s.updated_ms)) {
        return std::nullopt;
    }
    auto n = sdk::read_varint(value, pos);
    if (!n || *n > most_batches) {
        return std::nullopt;
    }
    for (std::uint64_t i = 0; i < *n; ++i) {
        stored_batch b;
        if (!read_signed(value, pos, b.first_sequence) || !read_signed(value, pos, b.count) ||
            !read_signed(value, pos, b.offset)) {
            return std::nullopt;
        }
        s.recent.push_back(b);
    }
    if (pos != value.size()) {
        return std::nullopt;
    }
    return s;
}

} // namespace plexus::protocol::kafka
