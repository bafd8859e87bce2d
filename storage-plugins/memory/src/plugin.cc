// The plugin's one exported symbol. The name must match plexus_add_plugin(NAME memory).
#include "memory_engine.h"

#include "plexus/sdk/plugin.h"

PLEXUS_DECLARE_PLUGIN(storage, "memory", "0.1.0", plexus::storage::memory::memory_factory)
