// The records the benchmarks append: messages with a 100-byte body and nothing else set, as a
// small publish arrives. Batches are built once and their shared messages are appended again and
// again; each append gets a fresh copy of the vector, as a gateway would build it.
//
// Bodies are either `repeated` (each one letter a hundred times: the figures of issue 3 so far)
// or `random` (bytes LZ4 and block compressors cannot shrink). Engines that compress (RocksDB's blocks, its WAL
// when so configured) write far less of repeated bodies, so a figure is only comparable across
// engines with random ones.
#pragma once

#include "plexus/sdk/message.h"

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

namespace plexus::bench {

inline constexpr std::size_t record_body_bytes = 100;

enum class body_kind
{
    repeated,
    random,
};

/// "repeated" or "random"; nullopt for another word.
std::optional<body_kind> parse_body_kind(std::string_view word);
/// The word parse_body_kind() takes for `kind`.
std::string_view body_kind_name(body_kind kind);

/// `count` records with distinct 100-byte bodies, one letter repeated in each.
sdk::record_batch hundred_byte_batch(std::size_t count);

/// Batches of `count` records to append in turn: one of repeated bodies, or for random ones
/// enough distinct batches (256 KiB of bodies) that neither LZ4's window nor a RocksDB block
/// finds a body again, few enough that their messages stay in the caches.
std::vector<sdk::record_batch> batches_to_append(std::size_t count, body_kind bodies);

} // namespace plexus::bench
