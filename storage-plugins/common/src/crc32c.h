// CRC32C (Castagnoli), the checksum of every stored record batch (as in Kafka's RecordBatch v2).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace plexus::storage {

/// Extends `crc` (0 to start) over `data`. Uses the SSE4.2 instruction when the CPU has it:
/// checksums run over every byte written and read, so the table-driven form would cost more
/// than the disk on fast storage.
std::uint32_t crc32c(std::span<const std::byte> data, std::uint32_t crc = 0) noexcept;

/// The table-driven form (Boost.CRC), kept as the reference the fast path is tested against.
std::uint32_t crc32c_portable(std::span<const std::byte> data, std::uint32_t crc = 0) noexcept;

} // namespace plexus::storage
