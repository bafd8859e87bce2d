#include "topic_router.h"

#include "../../common/empty_config.h"
#include "plexus/sdk/plugin.h"

namespace plexus::routing::topic {

class factory final : public sdk::router_factory
{
  public:
    sdk::status validate(std::string_view json) const noexcept override { return check_empty_config("topic", json); }
    sdk::status configure(std::string_view json) noexcept override { return check_empty_config("topic", json); }
    sdk::result<std::unique_ptr<sdk::router>> create(const sdk::router_spec& spec) noexcept override
    {
        try {
            return std::unique_ptr<sdk::router>(std::make_unique<topic_router>(spec.syntax));
        } catch (const std::bad_alloc&) {
            return sdk::status(sdk::errc::resource_exhausted, "out of memory");
        }
    }
};

} // namespace plexus::routing::topic

PLEXUS_DECLARE_PLUGIN(routing, "topic", "0.1.0", plexus::routing::topic::factory)
