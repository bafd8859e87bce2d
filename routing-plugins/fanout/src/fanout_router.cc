#include "fanout_router.h"

#include "../../common/router_factory.h"

#include <algorithm>

namespace plexus::routing::fanout {

void fanout_router::rebuild()
{
    _destinations.clear();
    for (const auto& e : _bindings) {
        if (std::find(_destinations.begin(), _destinations.end(), e.destination) == _destinations.end()) {
            _destinations.push_back(e.destination);
        }
    }
}

sdk::status fanout_router::bind(const sdk::binding& b) noexcept
{
    try {
        auto same = [&](const entry& e) { return e.destination == b.destination && e.key == b.key; };
        if (std::none_of(_bindings.begin(), _bindings.end(), same)) {
            _bindings.push_back({ b.key, b.destination });
            rebuild();
        }
        return {};
    } catch (const std::bad_alloc&) {
        return sdk::status(sdk::errc::resource_exhausted, "out of memory");
    }
}

sdk::status fanout_router::unbind(const sdk::binding& b) noexcept
{
    auto it = std::find_if(_bindings.begin(), _bindings.end(), [&](const entry& e) {
        return e.destination == b.destination && e.key == b.key;
    });
    if (it == _bindings.end()) {
        return sdk::status(sdk::errc::not_found, "no such binding");
    }
    _bindings.erase(it);
    rebuild();
    return {};
}

void fanout_router::route(std::string_view, const sdk::headers&, sdk::destination_set& out) const noexcept
{
    for (auto d : _destinations) {
        out.add(d);
    }
}

sdk::result<std::unique_ptr<sdk::router>> fanout_router::clone() const noexcept
{
    return clone_router(*this);
}

} // namespace plexus::routing::fanout
