#include "delivery_log.h"

#include <algorithm>

namespace plexus::bench {

namespace {

// A producer id or sequence beyond these is not something this run could have sent; counting
// it as corrupted keeps a garbled header from allocating gigabytes.
constexpr std::uint32_t max_producers = 1 << 16;
constexpr std::uint64_t max_sequence = std::uint64_t{ 1 } << 34;

} // namespace

delivery_counts& delivery_counts::operator+=(const delivery_counts& o) noexcept
{
    expected += o.expected;
    received += o.received;
    unique += o.unique;
    lost += o.lost;
    duplicated += o.duplicated;
    corrupted += o.corrupted;
    redelivered += o.redelivered;
    return *this;
}

delivery_log::delivery_log(std::uint32_t run_id)
  : _run_id(run_id)
{
}

bool delivery_log::record(std::span<const std::byte> body, bool redelivered, std::uint64_t now_ns, histogram& latency)
{
    ++_received;
    if (redelivered) {
        ++_redelivered;
    }
    payload_header h;
    if (read_payload(body, _run_id, h) != payload_check::ok || h.producer >= max_producers ||
        h.sequence >= max_sequence) {
        ++_corrupted;
        return false;
    }
    if (_seen.size() <= h.producer) {
        _seen.resize(h.producer + 1);
    }
    auto& seen = _seen[h.producer];
    if (seen.size() <= h.sequence) {
        // Sequences arrive nearly in order: grow geometrically so a run costs O(n) in total.
        seen.resize(std::max<std::size_t>(h.sequence + 1, seen.size() * 2), 0);
    }
    auto& copies = seen[h.sequence];
    if (copies < 255) {
        ++copies;
    }
    latency.record(now_ns > h.sent_ns ? now_ns - h.sent_ns : 0);
    return true;
}

void delivery_log::merge(const delivery_log& other)
{
    _received += other._received;
    _corrupted += other._corrupted;
    _redelivered += other._redelivered;
    if (_seen.size() < other._seen.size()) {
        _seen.resize(other._seen.size());
    }
    for (std::size_t p = 0; p < other._seen.size(); ++p) {
        auto& mine = _seen[p];
        const auto& theirs = other._seen[p];
        if (mine.size() < theirs.size()) {
            mine.resize(theirs.size(), 0);
        }
        for (std::size_t s = 0; s < theirs.size(); ++s) {
            mine[s] = static_cast<std::uint8_t>(std::min(255, mine[s] + theirs[s]));
        }
    }
}

delivery_counts delivery_log::check(std::span<const std::uint64_t> sent) const
{
    delivery_counts c;
    c.received = _received;
    c.corrupted = _corrupted;
    c.redelivered = _redelivered;
    // A copy counter saturates at 255, so duplicates are derived from received and unique:
    // every valid delivery is either the first copy of a sent message, a further copy, or
    // a sequence the producer never sent (corrupted).
    std::uint64_t beyond = 0;
    for (std::size_t p = 0; p < std::max(sent.size(), _seen.size()); ++p) {
        std::uint64_t n = p < sent.size() ? sent[p] : 0;
        c.expected += n;
        if (p >= _seen.size()) {
            c.lost += n;
            continue;
        }
        const auto& seen = _seen[p];
        std::uint64_t got = 0;
        for (std::uint64_t s = 0; s < n && s < seen.size(); ++s) {
            got += seen[s] != 0 ? 1 : 0;
        }
        for (std::uint64_t s = n; s < seen.size(); ++s) {
            beyond += seen[s];
        }
        c.unique += got;
        c.lost += n - got;
    }
    c.corrupted += beyond;
    auto valid = _received - _corrupted - beyond;
    c.duplicated = valid > c.unique ? valid - c.unique : 0;
    return c;
}

} // namespace plexus::bench
