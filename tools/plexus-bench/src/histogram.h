// A log-bucketed histogram of non-negative integers (latencies in nanoseconds): exact below
// 256, above that 128 buckets per power of two, so a reported value is within 1/128 (0.8%) of
// the true one. Fixed size (7,424 counters, 58 KiB), no allocation after construction, one
// per thread and merged at the end; not thread-safe.
#pragma once

#include <array>
#include <cstdint>

namespace plexus::bench {

class histogram
{
  public:
    static constexpr int sub_bits = 7;
    static constexpr std::uint64_t sub_count = std::uint64_t{ 1 } << sub_bits; // buckets per power of two
    static constexpr std::size_t bucket_count = (64 - sub_bits + 1) * sub_count;

    void record(std::uint64_t value) noexcept;
    void merge(const histogram& other) noexcept;

    std::uint64_t count() const noexcept { return _count; }
    /// 0 when empty.
    std::uint64_t min() const noexcept { return _count == 0 ? 0 : _min; }
    std::uint64_t max() const noexcept { return _max; }
    double mean() const noexcept;

    /// The value at quantile `q` (0..1): the smallest recorded value v such that at least
    /// q * count() values are <= v, reported as the middle of v's bucket (clamped to min/max);
    /// the lowest and highest ranks are min() and max() exactly. 0 when empty.
    std::uint64_t quantile(double q) const noexcept;

    /// The bucket of a value and the range of values that bucket holds (for tests).
    static std::size_t bucket_of(std::uint64_t value) noexcept;
    static std::uint64_t bucket_low(std::size_t bucket) noexcept;
    static std::uint64_t bucket_high(std::size_t bucket) noexcept;

  private:
    std::array<std::uint64_t, bucket_count> _buckets{};
    std::uint64_t _count = 0;
    std::uint64_t _min = UINT64_MAX;
    std::uint64_t _max = 0;
    long double _sum = 0;
};

} // namespace plexus::bench
