// Must NOT link: a plugin that declares a kernel function itself (dodging the include path) and
// calls it. Plugins link with -Wl,--no-undefined and plexusd exports nothing, so the reference
// cannot be resolved.
#include "plexus/sdk/abi.h"

#include <string>
#include <string_view>

namespace plexus::kernel {
std::string plugin_file_name(plexus_kind kind, std::string_view name);
}

extern "C" PLEXUS_EXPORT const plexus_plugin_descriptor* plexus_plugin_entry_v1(void)
{
    static const std::string file = plexus::kernel::plugin_file_name(PLEXUS_KIND_ROUTING, "x");
    return file.empty() ? nullptr : nullptr;
}
