// What a plugin writes to become loadable: implement one factory and declare it.
//
//   PLEXUS_DECLARE_PLUGIN(routing, "topic", "0.1.0", plexus::routing::topic::factory)
//
// expands to the C entry symbol returning a static descriptor with this SDK's ABI version and
// build fingerprint. The factory is default-constructed; any exception from its constructor is
// caught here and reported to the loader as a failed create_factory().
#pragma once

#include "plexus/sdk/abi.h"
#include "plexus/sdk/fingerprint.h"
#include "plexus/sdk/protocol.h"
#include "plexus/sdk/routing.h"
#include "plexus/sdk/storage.h"

namespace plexus::sdk::kinds {

struct protocol
{
    using factory = protocol_factory;
    static constexpr plexus_kind value = PLEXUS_KIND_PROTOCOL;
};
struct storage
{
    using factory = storage_factory;
    static constexpr plexus_kind value = PLEXUS_KIND_STORAGE;
};
struct routing
{
    using factory = router_factory;
    static constexpr plexus_kind value = PLEXUS_KIND_ROUTING;
};

/// Human name of a kind, as configs and errors spell it.
constexpr const char* name_of(plexus_kind k) noexcept
{
    switch (k) {
        case PLEXUS_KIND_PROTOCOL:
            return "protocol";
        case PLEXUS_KIND_STORAGE:
            return "storage";
        case PLEXUS_KIND_ROUTING:
            return "routing";
    }
    return "unknown";
}

} // namespace plexus::sdk::kinds

#define PLEXUS_DECLARE_PLUGIN(KIND, NAME, VERSION, FACTORY)                                                            \
    extern "C" PLEXUS_EXPORT const plexus_plugin_descriptor* plexus_plugin_entry_v1(void)                              \
    {                                                                                                                  \
        using plexus_kind_traits = ::plexus::sdk::kinds::KIND;                                                         \
        static const plexus_plugin_descriptor descriptor = {                                                           \
            PLEXUS_ABI_MAJOR,                                                                                          \
            PLEXUS_ABI_MINOR,                                                                                          \
            sizeof(plexus_plugin_descriptor),                                                                          \
            plexus_kind_traits::value,                                                                                 \
            NAME,                                                                                                      \
            VERSION,                                                                                                   \
            PLEXUS_BUILD_FINGERPRINT,                                                                                  \
            []() -> void* {                                                                                            \
                try {                                                                                                  \
                    return static_cast<plexus_kind_traits::factory*>(new FACTORY());                                   \
                } catch (...) {                                                                                        \
                    return nullptr;                                                                                    \
                }                                                                                                      \
            },                                                                                                         \
            [](void* f) { delete static_cast<plexus_kind_traits::factory*>(f); },                                      \
        };                                                                                                             \
        return &descriptor;                                                                                            \
    }
