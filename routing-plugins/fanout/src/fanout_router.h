// fanout: every bound destination gets every message; the routing key is ignored.
// One instance per shard; no locks.
#pragma once

#include "plexus/sdk/routing.h"

#include <vector>

namespace plexus::routing::fanout {

class fanout_router final : public sdk::router
{
  public:
    static constexpr const char* name = "fanout";
    explicit fanout_router(const sdk::router_spec&) {}

    sdk::status bind(const sdk::binding& b) noexcept override;
    sdk::status unbind(const sdk::binding& b) noexcept override;
    void route(std::string_view key, const sdk::headers& h, sdk::destination_set& out) const noexcept override;
    sdk::router_caps caps() const noexcept override { return { false, false, true }; }
    std::size_t binding_count() const noexcept override { return _bindings.size(); }
    sdk::result<std::unique_ptr<sdk::router>> clone() const noexcept override;

  private:
    struct entry
    {
        std::string key; // kept so that unbind matches what bind added
        sdk::destination_id destination;
    };
    std::vector<entry> _bindings;
    std::vector<sdk::destination_id> _destinations; // distinct, for route()
    void rebuild();
};

} // namespace plexus::routing::fanout
