// The records the benchmarks append: messages with a 100-byte body and nothing else set, as a
// small publish arrives. One batch is built once and its shared messages are appended again and
// again; each append gets a fresh copy of the vector, as a gateway would build it.
#pragma once

#include "plexus/sdk/message.h"

#include <cstddef>

namespace plexus::bench {

inline constexpr std::size_t record_body_bytes = 100;

/// `count` records with distinct 100-byte bodies.
sdk::record_batch hundred_byte_batch(std::size_t count);

} // namespace plexus::bench
