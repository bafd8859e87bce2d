// The message body every driver sends: a 32-byte header (magic, run id, producer id, a
// checksum, the sequence number and the send time) followed by filler, so that a consumer can
// tell which message it got, from whom, how late, and whether any byte of it changed.
//
//   0 magic "PXB1" | 4 run id | 8 producer | 12 checksum | 16 sequence | 24 send time (ns, CLOCK_MONOTONIC)
//
// All fields little-endian. The checksum covers every byte of the body except itself.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace plexus::bench {

inline constexpr std::size_t payload_header_size = 32;
inline constexpr std::uint32_t payload_magic = 0x31425850; // "PXB1" read little-endian

struct payload_header
{
    std::uint32_t run_id = 0;
    std::uint32_t producer = 0;
    std::uint64_t sequence = 0;
    std::uint64_t sent_ns = 0;
};

enum class payload_check
{
    ok,
    too_short,
    bad_magic,
    foreign_run, // a well-formed message of another run
    bad_checksum,
};

/// One producer's body buffer: the filler is written once, each stamp() rewrites the header
/// and the checksum in place.
class payload_writer
{
  public:
    payload_writer(std::size_t size, std::uint32_t run_id, std::uint32_t producer);
    std::span<const std::byte> stamp(std::uint64_t sequence, std::uint64_t sent_ns) noexcept;
    std::size_t size() const noexcept { return _body.size(); }

  private:
    std::vector<std::byte> _body;
    std::uint32_t _run_id;
    std::uint32_t _producer;
};

/// Checks a received body and, when it is whole and of run `run_id`, fills `out`.
payload_check read_payload(std::span<const std::byte> body, std::uint32_t run_id, payload_header& out) noexcept;

/// The checksum over `body` with its bytes 12..16 taken as zero.
std::uint32_t payload_checksum(std::span<const std::byte> body) noexcept;

/// Nanoseconds of CLOCK_MONOTONIC: comparable between processes on one machine.
std::uint64_t monotonic_ns() noexcept;

} // namespace plexus::bench
