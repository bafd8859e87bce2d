// Kafka RecordBatch bytes for the gateway's tests: a batch's CRC32C recomputed after a test
// changed a field it covers, as a client writes it.
#pragma once

#include "crc32c.h"

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace plexus::protocol::kafka::testing {

inline std::string with_crc(std::string batch)
{
    std::string_view covered = std::string_view(batch).substr(21);
    auto crc = plexus::storage::crc32c(std::as_bytes(std::span<const char>(covered.data(), covered.size())));
    for (int i = 0; i < 4; ++i) {
        batch[17 + static_cast<std::size_t>(i)] = static_cast<char>(crc >> (8 * (3 - i)));
    }
    return batch;
}

} // namespace plexus::protocol::kafka::testing
