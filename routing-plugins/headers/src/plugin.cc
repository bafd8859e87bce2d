#include "headers_router.h"

#include "../../common/router_factory.h"
#include "plexus/sdk/plugin.h"

PLEXUS_DECLARE_PLUGIN(routing,
                      "headers",
                      "0.1.0",
                      plexus::routing::settingless_router_factory<plexus::routing::headers::headers_router>)
