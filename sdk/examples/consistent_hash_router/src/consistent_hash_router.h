// x_consistent_hash: an exchange type that sends each message to exactly one of its bound
// destinations, chosen by a consistent hash of the routing key (or of one header).
//
// Each binding's key is its weight, a whole number from 1 to max_weight: a destination bound
// with "2" receives about twice the share of one bound with "1". A binding puts
// weight * points_per_weight points on a 64-bit hash ring; a message goes to the owner of the
// first point at or after the hash of its key. Adding or removing a binding moves only the keys
// whose nearest point changed, so the same key keeps going to the same destination while the
// bindings stay the same, on every shard and across restarts (the hash is fixed, not seeded).
//
// Threading: the kernel keeps one router per shard (clone()) and calls every method of a router
// on its own shard only, so nothing here is locked. route() does not allocate.
#pragma once

#include "plexus/sdk/routing.h"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace plexus_example::consistent_hash {

/// Largest weight a binding key may carry.
inline constexpr std::uint32_t max_weight = 1000;
/// Ring points per unit of weight: enough that a few bindings already share keys evenly.
inline constexpr std::uint32_t points_per_weight = 64;

/// 64-bit FNV-1a of `data` started from `seed`, finished with a strong bit mixer; stable across
/// builds and platforms (the ring must be the same everywhere).
std::uint64_t hash64(std::string_view data, std::uint64_t seed) noexcept;

class consistent_hash_router final : public plexus::sdk::router
{
  public:
    /// `hash_header`: hash this header's value instead of the routing key ("" = routing key).
    explicit consistent_hash_router(std::string hash_header);

    plexus::sdk::status bind(const plexus::sdk::binding& b) noexcept override;
    plexus::sdk::status unbind(const plexus::sdk::binding& b) noexcept override;
    void route(std::string_view key,
               const plexus::sdk::headers& h,
               plexus::sdk::destination_set& out) const noexcept override;
    plexus::sdk::router_caps caps() const noexcept override;
    std::size_t binding_count() const noexcept override { return _bindings.size(); }
    plexus::sdk::result<std::unique_ptr<plexus::sdk::router>> clone() const noexcept override;

  private:
    struct weighted_binding
    {
        std::string key;
        plexus::sdk::destination_id destination;
        std::uint32_t weight = 0;
    };
    struct point
    {
        std::uint64_t hash = 0;
        plexus::sdk::destination_id destination;
        auto operator<=>(const point&) const = default;
    };

    /// The ring for `bindings`; may throw std::bad_alloc (callers catch it).
    static std::vector<point> build_ring(const std::vector<weighted_binding>& bindings);
    std::vector<weighted_binding>::const_iterator find(const plexus::sdk::binding& b) const;

    std::string _hash_header;
    std::vector<weighted_binding> _bindings;
    std::vector<point> _ring; ///< sorted by (hash, destination)
};

/// The plugin's factory: no plugin-wide configuration; one router per exchange.
class consistent_hash_factory final : public plexus::sdk::router_factory
{
  public:
    plexus::sdk::status validate(std::string_view config_json) const noexcept override;
    plexus::sdk::status configure(std::string_view config_json) noexcept override;
    /// Accepts the exchange argument "hash-header" (a non-empty string); others are ignored.
    plexus::sdk::result<std::unique_ptr<plexus::sdk::router>> create(
      const plexus::sdk::router_spec& spec) noexcept override;
};

} // namespace plexus_example::consistent_hash
