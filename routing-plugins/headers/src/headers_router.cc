#include "headers_router.h"

#include "../../common/router_factory.h"

#include <algorithm>

namespace plexus::routing::headers {
namespace {

bool same_binding(const sdk::binding& a, const sdk::binding& b)
{
    return a.destination == b.destination && a.key == b.key && a.arguments == b.arguments;
}

} // namespace

void headers_router::index(entry& e)
{
    const auto* mode = sdk::find_header(e.binding.arguments, "x-match");
    std::string m = "all";
    if (mode != nullptr) {
        if (const auto* s = std::get_if<std::string>(mode)) {
            m = *s;
        }
    }
    e.any = m == "any" || m == "any-with-x";
    const bool with_x = m == "all-with-x" || m == "any-with-x";
    e.conditions.clear();
    for (std::size_t i = 0; i < e.binding.arguments.size(); ++i) {
        const auto& key = e.binding.arguments[i].key;
        if (key == "x-match" || (!with_x && key.rfind("x-", 0) == 0)) {
            continue;
        }
        e.conditions.push_back(i);
    }
}

sdk::status headers_router::bind(const sdk::binding& b) noexcept
{
    if (const auto* mode = sdk::find_header(b.arguments, "x-match")) {
        const auto* s = std::get_if<std::string>(mode);
        if (s == nullptr || (*s != "all" && *s != "any" && *s != "all-with-x" && *s != "any-with-x")) {
            return sdk::status(sdk::errc::invalid_argument, "x-match must be all, any, all-with-x or any-with-x");
        }
    }
    try {
        if (std::none_of(
              _bindings.begin(), _bindings.end(), [&](const entry& e) { return same_binding(e.binding, b); })) {
            _bindings.push_back({ b, false, {} });
            index(_bindings.back());
        }
        return {};
    } catch (const std::bad_alloc&) {
        return sdk::status(sdk::errc::resource_exhausted, "out of memory");
    }
}

sdk::status headers_router::unbind(const sdk::binding& b) noexcept
{
    auto it = std::find_if(_bindings.begin(), _bindings.end(), [&](const entry& e) {
        return e.binding.destination == b.destination && e.binding.key == b.key &&
               (b.arguments.empty() || e.binding.arguments == b.arguments);
    });
    if (it == _bindings.end()) {
        return sdk::status(sdk::errc::not_found, "no such binding");
    }
    _bindings.erase(it);
    return {};
}

bool headers_router::matches(const entry& e, const sdk::headers& h) noexcept
{
    if (e.conditions.empty()) {
        return !e.any; // all-of-nothing holds; any-of-nothing does not
    }
    for (auto i : e.conditions) {
        const auto* cond = &e.binding.arguments[i];
        const auto* value = sdk::find_header(h, cond->key);
        bool ok = value != nullptr && (std::holds_alternative<std::monostate>(cond->value) || *value == cond->value);
        if (e.any && ok) {
            return true;
        }
        if (!e.any && !ok) {
            return false;
        }
    }
    return !e.any;
}

void headers_router::route(std::string_view, const sdk::headers& h, sdk::destination_set& out) const noexcept
{
    for (const auto& e : _bindings) {
        if (matches(e, h)) {
            out.add(e.binding.destination);
        }
    }
}

sdk::result<std::unique_ptr<sdk::router>> headers_router::clone() const noexcept
{
    return clone_router(*this);
}

} // namespace plexus::routing::headers
