// headers: a binding matches on message headers instead of the routing key (RabbitMQ's
// headers exchange). The binding's "x-match" argument says how: all (default) | any |
// all-with-x | any-with-x. Arguments whose key starts with "x-" take part only in the *-with-x
// modes. An argument without a value (void) matches when the header is present with any
// value; otherwise the header must carry an equal value of the same type.
// One instance per shard; no locks. route() is linear in the bindings.
#pragma once

#include "plexus/sdk/routing.h"

#include <vector>

namespace plexus::routing::headers {

class headers_router final : public sdk::router
{
  public:
    static constexpr const char* name = "headers";
    explicit headers_router(const sdk::router_spec&) {}

    sdk::status bind(const sdk::binding& b) noexcept override;
    sdk::status unbind(const sdk::binding& b) noexcept override;
    void route(std::string_view key, const sdk::headers& h, sdk::destination_set& out) const noexcept override;
    sdk::router_caps caps() const noexcept override { return { false, true, true }; }
    std::size_t binding_count() const noexcept override { return _bindings.size(); }
    sdk::result<std::unique_ptr<sdk::router>> clone() const noexcept override;

  private:
    struct entry
    {
        sdk::binding binding;
        bool any = false;
        std::vector<std::size_t> conditions; // indexes into binding.arguments (copy-safe)
    };
    static bool matches(const entry& e, const sdk::headers& h) noexcept;
    static void index(entry& e);
    std::vector<entry> _bindings;
};

} // namespace plexus::routing::headers
