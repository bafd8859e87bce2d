#include "direct_router.h"

#include "../../common/router_factory.h"

#include <algorithm>

namespace plexus::routing::direct {

sdk::status direct_router::bind(const sdk::binding& b) noexcept
{
    try {
        auto& dests = _table[b.key];
        if (std::find(dests.begin(), dests.end(), b.destination) == dests.end()) {
            dests.push_back(b.destination);
            ++_count;
        }
        return {};
    } catch (const std::bad_alloc&) {
        return sdk::status(sdk::errc::resource_exhausted, "out of memory");
    }
}

sdk::status direct_router::unbind(const sdk::binding& b) noexcept
{
    auto it = _table.find(std::string_view(b.key));
    if (it != _table.end()) {
        auto& dests = it->second;
        if (auto d = std::find(dests.begin(), dests.end(), b.destination); d != dests.end()) {
            dests.erase(d);
            --_count;
            if (dests.empty()) {
                _table.erase(it);
            }
            return {};
        }
    }
    return sdk::status(sdk::errc::not_found, "no binding with key '" + b.key + "'");
}

void direct_router::route(std::string_view key, const sdk::headers&, sdk::destination_set& out) const noexcept
{
    if (auto it = _table.find(key); it != _table.end()) {
        for (auto d : it->second) {
            out.add(d);
        }
    }
}

sdk::result<std::unique_ptr<sdk::router>> direct_router::clone() const noexcept
{
    return clone_router(*this);
}

} // namespace plexus::routing::direct
