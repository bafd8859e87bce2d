// Where a stream partition's records live in its engine. A compaction copies a partition into
// a new log (ADR 0020), so a partition has a generation: 0 is the log every partition starts
// with (and every partition had before compaction existed), each compaction adds one. The
// engine's metadata records the current generation of every partition that has been compacted.
#pragma once

#include "plexus/sdk/storage.h"

#include <cstdint>
#include <string>
#include <string_view>

namespace plexus::kernel {

/// The log of a partition in a generation: "s/<vhost>/<stream>/<partition>", and "~<n>" after
/// it from generation 1 on.
std::string partition_log_name(std::string_view vhost,
                               std::string_view stream,
                               std::int32_t partition,
                               std::uint64_t generation = 0);

/// The metadata key of a partition's generation (absent: 0).
std::string partition_generation_key(std::string_view vhost, std::string_view stream, std::int32_t partition);

/// The generation `meta` records for the partition; 0 when it records none.
sdk::result<std::uint64_t> stored_generation(sdk::kv_store& meta,
                                             std::string_view vhost,
                                             std::string_view stream,
                                             std::int32_t partition);

/// The stored form of a generation (decimal).
std::string encode_generation(std::uint64_t generation);

} // namespace plexus::kernel
