// The codecs of a RecordBatch's attributes bits 0-2. Produce inflates compressed batches to
// check them; a compaction compresses the records it keeps of one again.
#pragma once

#include "plexus/sdk/result.h"

#include <cstdint>
#include <string>
#include <string_view>

namespace plexus::protocol::kafka {

enum class compression_codec : std::uint8_t
{
    none = 0,
    gzip = 1,
    snappy = 2,
    lz4 = 3,
    zstd = 4,
};

/// A records section compressed with `codec` (none: as it is), as Kafka clients read it;
/// what a compaction writes back of a compressed batch. not_supported for an unknown codec.
sdk::result<std::string> compress(compression_codec codec, std::string_view data) noexcept;

/// The inflated records section. not_supported for an unknown codec, corruption for data the
/// codec refuses, resource_exhausted when the result would exceed `max_bytes`.
sdk::result<std::string> decompress(compression_codec codec, std::string_view data, std::size_t max_bytes) noexcept;

} // namespace plexus::protocol::kafka
