// The plugin's one exported symbol. The name must match plexus_add_plugin(NAME file).
#include "file_engine.h"

#include "plexus/sdk/plugin.h"

PLEXUS_DECLARE_PLUGIN(storage, "file", "0.1.0", plexus::storage::file::file_factory)
