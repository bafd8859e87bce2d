// The plugin's one exported symbol: a descriptor naming this build's ABI and fingerprint and
// creating consistent_hash_factory. The name must match the one given to plexus_add_plugin().
#include "consistent_hash_router.h"

#include "plexus/sdk/plugin.h"

PLEXUS_DECLARE_PLUGIN(routing, "x_consistent_hash", "0.1.0", plexus_example::consistent_hash::consistent_hash_factory)
