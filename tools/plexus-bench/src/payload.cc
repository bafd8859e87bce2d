#include "payload.h"

#include <time.h>

#include <cstring>

namespace plexus::bench {

namespace {

constexpr std::size_t checksum_offset = 12;

void put32(std::byte* p, std::uint32_t v) noexcept
{
    for (int i = 0; i < 4; ++i) {
        p[i] = static_cast<std::byte>(v >> (8 * i));
    }
}

void put64(std::byte* p, std::uint64_t v) noexcept
{
    for (int i = 0; i < 8; ++i) {
        p[i] = static_cast<std::byte>(v >> (8 * i));
    }
}

std::uint32_t get32(const std::byte* p) noexcept
{
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
        v |= std::uint32_t(std::to_integer<std::uint8_t>(p[i])) << (8 * i);
    }
    return v;
}

std::uint64_t get64(const std::byte* p) noexcept
{
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) {
        v |= std::uint64_t(std::to_integer<std::uint8_t>(p[i])) << (8 * i);
    }
    return v;
}

std::uint64_t mix(std::uint64_t h, std::uint64_t word) noexcept
{
    h ^= word;
    h *= 0x9e3779b97f4a7c15ull;
    return h ^ (h >> 29);
}

} // namespace

std::uint32_t payload_checksum(std::span<const std::byte> body) noexcept
{
    // Eight bytes at a time through a multiply-xorshift mix: cheap next to a syscall, and any
    // changed, dropped or swapped byte changes the result (a corruption check, not a MAC).
    std::uint64_t h = 0x243f6a8885a308d3ull ^ body.size();
    std::size_t i = 0;
    for (; i + 8 <= body.size(); i += 8) {
        std::uint64_t w = 0;
        std::memcpy(&w, body.data() + i, 8);
        if (i == 8) {
            w &= ~(std::uint64_t{ 0xffffffff } << 32); // bytes 12..16 are the checksum itself
        }
        h = mix(h, w);
    }
    std::uint64_t tail = 0;
    for (std::size_t k = 0; i + k < body.size(); ++k) {
        auto at = i + k;
        auto b = (at >= checksum_offset && at < checksum_offset + 4) ? 0 : std::to_integer<std::uint8_t>(body[at]);
        tail |= std::uint64_t(b) << (8 * k);
    }
    h = mix(h, tail);
    h = mix(h, h >> 32);
    return static_cast<std::uint32_t>(h ^ (h >> 32));
}

payload_writer::payload_writer(std::size_t size, std::uint32_t run_id, std::uint32_t producer)
  : _body(size < payload_header_size ? payload_header_size : size)
  , _run_id(run_id)
  , _producer(producer)
{
    // Filler that differs per producer and per position, so a body spliced from another
    // message fails its checksum rather than passing by coincidence.
    std::uint64_t x = 0x9e3779b97f4a7c15ull * (producer + 1) + run_id;
    for (std::size_t i = payload_header_size; i < _body.size(); ++i) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        _body[i] = static_cast<std::byte>(x);
    }
    put32(_body.data(), payload_magic);
    put32(_body.data() + 4, run_id);
    put32(_body.data() + 8, producer);
}

std::span<const std::byte> payload_writer::stamp(std::uint64_t sequence, std::uint64_t sent_ns) noexcept
{
    put64(_body.data() + 16, sequence);
    put64(_body.data() + 24, sent_ns);
    put32(_body.data() + checksum_offset, payload_checksum(_body));
    return _body;
}

payload_check read_payload(std::span<const std::byte> body, std::uint32_t run_id, payload_header& out) noexcept
{
    if (body.size() < payload_header_size) {
        return payload_check::too_short;
    }
    if (get32(body.data()) != payload_magic) {
        return payload_check::bad_magic;
    }
    if (get32(body.data() + checksum_offset) != payload_checksum(body)) {
        return payload_check::bad_checksum;
    }
    out.run_id = get32(body.data() + 4);
    out.producer = get32(body.data() + 8);
    out.sequence = get64(body.data() + 16);
    out.sent_ns = get64(body.data() + 24);
    return out.run_id == run_id ? payload_check::ok : payload_check::foreign_run;
}

std::uint64_t monotonic_ns() noexcept
{
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return std::uint64_t(ts.tv_sec) * 1'000'000'000u + std::uint64_t(ts.tv_nsec);
}

} // namespace plexus::bench
