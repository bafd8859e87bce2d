#include "fanout_router.h"

#include "../../common/empty_config.h"
#include "plexus/sdk/plugin.h"

namespace plexus::routing::fanout {

class factory final : public sdk::router_factory
{
  public:
    sdk::status validate(std::string_view json) const noexcept override { return check_empty_config("fanout", json); }
    sdk::status configure(std::string_view json) noexcept override { return check_empty_config("fanout", json); }
    sdk::result<std::unique_ptr<sdk::router>> create(const sdk::router_spec&) noexcept override
    {
        return std::unique_ptr<sdk::router>(new (std::nothrow) fanout_router());
    }
};

} // namespace plexus::routing::fanout

PLEXUS_DECLARE_PLUGIN(routing, "fanout", "0.1.0", plexus::routing::fanout::factory)
