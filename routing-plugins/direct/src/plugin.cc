#include "direct_router.h"

#include "../../common/router_factory.h"
#include "plexus/sdk/plugin.h"

PLEXUS_DECLARE_PLUGIN(routing,
                      "direct",
                      "0.1.0",
                      plexus::routing::settingless_router_factory<plexus::routing::direct::direct_router>)
