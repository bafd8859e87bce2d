#include "bench/storage/records.h"

#include <algorithm>
#include <memory>
#include <random>
#include <string>

namespace plexus::bench {

sdk::record_batch hundred_byte_batch(std::size_t count)
{
    sdk::record_batch batch;
    batch.records.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        auto m = std::make_shared<sdk::message>();
        m->body = sdk::buffer_chain::copy_of(std::string(record_body_bytes, static_cast<char>('a' + i % 26)));
        m->timestamp = sdk::timestamp_ms(static_cast<std::int64_t>(i));
        batch.records.push_back(std::move(m));
    }
    return batch;
}

std::string_view body_kind_name(body_kind kind)
{
    return kind == body_kind::random ? "random" : "repeated";
}

std::optional<body_kind> parse_body_kind(std::string_view word)
{
    for (auto kind : { body_kind::repeated, body_kind::random }) {
        if (word == body_kind_name(kind)) {
            return kind;
        }
    }
    return std::nullopt;
}

std::vector<sdk::record_batch> batches_to_append(std::size_t count, body_kind bodies)
{
    if (bodies == body_kind::repeated) {
        return { hundred_byte_batch(count) };
    }
    // 256 KiB: past LZ4's 64 KiB window and far past any RocksDB block, yet small enough that
    // the ring's message objects (about half a KiB each) stay in the caches. A broker appends a
    // message it has just decoded, so it finds it there; a 16 MiB ring (80 MB of objects) made
    // the file engine's append wait on memory for each record's first touch, at 0.5x the speed.
    // zstd's windows (1 MiB and more) do see the ring repeat.
    constexpr std::size_t ring_body_bytes = 256u << 10;
    const std::size_t batches = std::max<std::size_t>(1, ring_body_bytes / (count * record_body_bytes));
    std::mt19937_64 bits(20261203); // fixed: every run appends the same bytes
    std::vector<sdk::record_batch> ring(batches);
    std::string body(record_body_bytes, '\0');
    for (std::size_t b = 0; b < batches; ++b) {
        ring[b].records.reserve(count);
        for (std::size_t i = 0; i < count; ++i) {
            for (auto& c : body) {
                c = static_cast<char>(bits());
            }
            auto m = std::make_shared<sdk::message>();
            m->body = sdk::buffer_chain::copy_of(body);
            m->timestamp = sdk::timestamp_ms(static_cast<std::int64_t>(b * count + i));
            ring[b].records.push_back(std::move(m));
        }
    }
    return ring;
}

} // namespace plexus::bench
