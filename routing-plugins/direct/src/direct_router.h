// direct: a message goes to the destinations bound with exactly its routing key. One hash
// lookup per route (string_view keys, no allocation). One instance per shard; no locks.
#pragma once

#include "plexus/sdk/routing.h"

#include <string>
#include <unordered_map>
#include <vector>

namespace plexus::routing::direct {

class direct_router final : public sdk::router
{
  public:
    static constexpr const char* name = "direct";
    explicit direct_router(const sdk::router_spec&) {}

    sdk::status bind(const sdk::binding& b) noexcept override;
    sdk::status unbind(const sdk::binding& b) noexcept override;
    void route(std::string_view key, const sdk::headers& h, sdk::destination_set& out) const noexcept override;
    sdk::router_caps caps() const noexcept override { return {}; }
    std::size_t binding_count() const noexcept override { return _count; }
    sdk::result<std::unique_ptr<sdk::router>> clone() const noexcept override;

  private:
    struct key_hash
    {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>()(s); }
    };
    std::unordered_map<std::string, std::vector<sdk::destination_id>, key_hash, std::equal_to<>> _table;
    std::size_t _count = 0;
};

} // namespace plexus::routing::direct
