// The control: a plugin that uses only the SDK builds (so the failures below are meaningful).
#include "plexus/sdk/plugin.h"

namespace {

class nothing_factory final : public plexus::sdk::router_factory
{
  public:
    plexus::sdk::status validate(std::string_view) const noexcept override { return {}; }
    plexus::sdk::status configure(std::string_view) noexcept override { return {}; }
    plexus::sdk::result<std::unique_ptr<plexus::sdk::router>> create(const plexus::sdk::router_spec&) noexcept override
    {
        return plexus::sdk::status(plexus::sdk::errc::not_supported, "build check only");
    }
};

} // namespace

PLEXUS_DECLARE_PLUGIN(routing, "clean", "0.1.0", nothing_factory)
