#include "kernel/src/server/exchange_routing.h"

#include <algorithm>

namespace plexus::kernel {

void route_message(shard_state& state,
                   const vhost_replica& vhost,
                   const exchange_replica& from,
                   const sdk::message& msg)
{
    auto& out = state.routed;
    out.clear();
    from.router->route(msg.routing_key, msg.headers_, out);
    const bool to_exchanges = std::any_of(
      out.begin(), out.end(), [](sdk::destination_id d) { return kind_of(d) == destination_kind::exchange; });
    if (!to_exchanges && (!out.empty() || from.alternate.empty())) {
        out.deduplicate(); // the common case: queues and streams only, in one hop
        return;
    }

    // Breadth first over the exchanges the message reaches; `visited` keeps each to one pass.
    auto& pending = state.hops;
    pending.clear();
    std::vector<const exchange_replica*> visited{ &from };
    auto reach = [&](const exchange_replica* ex) {
        if (ex != nullptr && std::find(visited.begin(), visited.end(), ex) == visited.end()) {
            visited.push_back(ex);
            pending.push_back(ex);
        }
    };
    auto by_name = [&](const std::string& name) -> const exchange_replica* {
        auto it = vhost.exchanges.find(name);
        return it == vhost.exchanges.end() ? nullptr : &it->second;
    };
    auto& hop = state.one_hop;
    hop.clear();
    for (auto d : out) {
        hop.add(d);
    }
    out.clear();
    const exchange_replica* current = &from;
    for (;;) {
        if (hop.empty()) {
            if (!current->alternate.empty()) {
                reach(by_name(current->alternate));
            }
        }
        for (auto d : hop) {
            if (kind_of(d) != destination_kind::exchange) {
                out.add(d);
            } else if (auto it = vhost.exchanges_by_id.find(d()); it != vhost.exchanges_by_id.end()) {
                reach(it->second);
            }
        }
        if (pending.empty()) {
            break;
        }
        current = pending.back();
        pending.pop_back();
        hop.clear();
        current->router->route(msg.routing_key, msg.headers_, hop);
    }
    out.deduplicate();
}

} // namespace plexus::kernel
