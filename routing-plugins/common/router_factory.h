// What the built-in routers share: they take no settings, are created per exchange from the
// router_spec, and clone by copy. Header-only, so that each plugin stays one self-contained .so.
#pragma once

#include "plexus/sdk/routing.h"

#include <memory>
#include <new>
#include <string>
#include <string_view>

namespace plexus::routing {

/// Accepts "" or "{}" (whitespace allowed); refuses anything else, naming what it found.
inline sdk::status check_empty_config(std::string_view router, std::string_view json)
{
    std::string compact;
    for (char c : json) {
        if (c != ' ' && c != '\n' && c != '\t' && c != '\r') {
            compact += c;
        }
    }
    if (compact.empty() || compact == "{}") {
        return {};
    }
    return sdk::status(sdk::errc::invalid_argument,
                       std::string(router) + " router takes no settings, got " + std::string(json));
}

/// A copy of `r` as a fresh router (clone() of routers that copy by value).
template<class Router>
sdk::result<std::unique_ptr<sdk::router>> clone_router(const Router& r) noexcept
{
    try {
        return std::unique_ptr<sdk::router>(std::make_unique<Router>(r));
    } catch (const std::bad_alloc&) {
        return sdk::status(sdk::errc::resource_exhausted, "out of memory cloning a router");
    }
}

/// The factory of a router without settings: `Router` has a constructor taking the
/// router_spec and a `static constexpr const char* name`.
template<class Router>
class settingless_router_factory final : public sdk::router_factory
{
  public:
    sdk::status validate(std::string_view json) const noexcept override
    {
        return check_empty_config(Router::name, json);
    }
    sdk::status configure(std::string_view json) noexcept override { return check_empty_config(Router::name, json); }
    sdk::result<std::unique_ptr<sdk::router>> create(const sdk::router_spec& spec) noexcept override
    {
        try {
            return std::unique_ptr<sdk::router>(std::make_unique<Router>(spec));
        } catch (const std::bad_alloc&) {
            return sdk::status(sdk::errc::resource_exhausted, "out of memory creating a router");
        }
    }
};

} // namespace plexus::routing
