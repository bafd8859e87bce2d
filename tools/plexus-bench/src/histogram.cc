#include "histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace plexus::bench {

std::size_t histogram::bucket_of(std::uint64_t value) noexcept
{
    if (value < 2 * sub_count) {
        return static_cast<std::size_t>(value); // the first two blocks are exact
    }
    int msb = 63 - std::countl_zero(value);
    int shift = msb - sub_bits;
    auto top = value >> shift; // sub_count .. 2 * sub_count - 1
    return static_cast<std::size_t>((shift + 1) * sub_count + (top - sub_count));
}

std::uint64_t histogram::bucket_low(std::size_t bucket) noexcept
{
    if (bucket < 2 * sub_count) {
        return bucket;
    }
    auto block = bucket / sub_count; // >= 2
    auto sub = bucket % sub_count;
    auto shift = static_cast<int>(block - 1);
    return (sub_count + sub) << shift;
}

std::uint64_t histogram::bucket_high(std::size_t bucket) noexcept
{
    if (bucket < 2 * sub_count) {
        return bucket;
    }
    auto shift = static_cast<int>(bucket / sub_count - 1);
    return bucket_low(bucket) + ((std::uint64_t{ 1 } << shift) - 1);
}

void histogram::record(std::uint64_t value) noexcept
{
    ++_buckets[bucket_of(value)];
    ++_count;
    _min = std::min(_min, value);
    _max = std::max(_max, value);
    _sum += static_cast<long double>(value);
}

void histogram::merge(const histogram& other) noexcept
{
    for (std::size_t i = 0; i < bucket_count; ++i) {
        _buckets[i] += other._buckets[i];
    }
    _count += other._count;
    _min = std::min(_min, other._min);
    _max = std::max(_max, other._max);
    _sum += other._sum;
}

double histogram::mean() const noexcept
{
    return _count == 0 ? 0.0 : static_cast<double>(_sum / static_cast<long double>(_count));
}

std::uint64_t histogram::quantile(double q) const noexcept
{
    if (_count == 0) {
        return 0;
    }
    q = std::clamp(q, 0.0, 1.0);
    auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(_count)));
    rank = std::clamp<std::uint64_t>(rank, 1, _count);
    if (rank == _count) {
        return _max; // the extremes are kept exactly
    }
    if (rank == 1) {
        return _min;
    }
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < bucket_count; ++i) {
        seen += _buckets[i];
        if (seen >= rank) {
            auto low = bucket_low(i);
            auto mid = low + (bucket_high(i) - low) / 2;
            return std::clamp(mid, min(), _max);
        }
    }
    return _max;
}

} // namespace plexus::bench
