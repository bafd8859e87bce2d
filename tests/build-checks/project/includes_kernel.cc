// Must NOT compile: a plugin reaching for a kernel header. plexus_add_plugin() gives a plugin
// only the SDK's include directories, so the kernel's headers cannot be found.
#include "kernel/src/plugin/loader.h"

#include "plexus/sdk/plugin.h"
