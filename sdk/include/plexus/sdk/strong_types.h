// Strong types for offsets and ids, so that an offset is never passed where a partition goes.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>

namespace plexus::sdk {

/// A named integer: arithmetic only where it makes sense, comparison always.
template<class T, class Tag>
class named_type
{
  public:
    using type = T;
    constexpr named_type() noexcept = default;
    constexpr explicit named_type(T v) noexcept
      : _v(v)
    {
    }
    constexpr T operator()() const noexcept { return _v; }
    constexpr auto operator<=>(const named_type&) const noexcept = default;
    constexpr named_type& operator++() noexcept
    {
        ++_v;
        return *this;
    }
    constexpr named_type operator+(T d) const noexcept { return named_type(_v + d); }
    constexpr named_type operator-(T d) const noexcept { return named_type(_v - d); }
    constexpr T operator-(named_type o) const noexcept { return _v - o._v; }

  private:
    T _v{};
};

/// Position of a record in a log: dense, assigned at append, starting at 0.
using offset = named_type<std::int64_t, struct offset_tag>;
/// Milliseconds since the Unix epoch (Kafka's timestamp unit).
using timestamp_ms = named_type<std::int64_t, struct timestamp_tag>;
/// A partition of a stream (a plain queue has exactly partition 0).
using partition_id = named_type<std::int32_t, struct partition_tag>;
/// An event loop thread; every queue and connection belongs to one.
using shard_id = named_type<std::uint32_t, struct shard_tag>;
/// A queue or stream partition inside the kernel: routers return these.
using destination_id = named_type<std::uint64_t, struct destination_tag>;

/// Inclusive range of offsets [first, last].
struct offset_range
{
    offset first;
    offset last;
    constexpr std::int64_t count() const noexcept { return last() - first() + 1; }
    constexpr bool operator==(const offset_range&) const noexcept = default;
};

} // namespace plexus::sdk

template<class T, class Tag>
struct std::hash<plexus::sdk::named_type<T, Tag>>
{
    std::size_t operator()(plexus::sdk::named_type<T, Tag> v) const noexcept { return std::hash<T>()(v()); }
};
