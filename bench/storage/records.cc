#include "bench/storage/records.h"

#include <memory>
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

} // namespace plexus::bench
