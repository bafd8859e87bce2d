// The plugin's one exported symbol. The name must match plexus_add_plugin(NAME rocksdb).
#include "rocksdb_engine.h"

#include "plexus/sdk/plugin.h"

PLEXUS_DECLARE_PLUGIN(storage, "rocksdb", "0.1.0", plexus::storage::rocks::rocksdb_factory)
