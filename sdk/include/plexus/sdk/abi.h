/* The C door of every plugin: the one symbol the loader looks up with dlsym().
 *
 * Everything in this header is plain C so that any host, present or future, can read a
 * descriptor before it trusts a single C++ vtable. Only appended fields may change within a
 * major version; `struct_size` tells the host how much of the struct the plugin knew about. */
#pragma once

#include <stdint.h>

#define PLEXUS_ABI_MAJOR 10 /* bump on any breaking change to sdk/include */
#define PLEXUS_ABI_MINOR 0 /* bump on an additive change (new kind, appended field) */
#define PLEXUS_PLUGIN_ENTRY "plexus_plugin_entry_v1"

#if defined(__GNUC__)
#define PLEXUS_EXPORT __attribute__((visibility("default")))
#else
#define PLEXUS_EXPORT
#endif

#ifdef __cplusplus
extern "C"
{
#endif

    typedef enum plexus_kind
    {
        PLEXUS_KIND_PROTOCOL = 1,
        PLEXUS_KIND_STORAGE = 2,
        PLEXUS_KIND_ROUTING = 3,
    } plexus_kind;

    typedef struct plexus_plugin_descriptor
    {
        uint16_t abi_major; /* first, so that any future host can read them */
        uint16_t abi_minor;
        uint32_t struct_size;          /* sizeof(plexus_plugin_descriptor) as the plugin saw it */
        plexus_kind kind;              /* what create_factory() returns */
        const char* name;              /* "mqtt", "memory", "topic": must equal what the config names */
        const char* plugin_version;    /* the plugin's own semver; logged and listed */
        const char* build_fingerprint; /* toolchain + SDK header hash; must equal the host's */
        /* Returns a plexus::sdk::<kind>_factory* owned by the plugin, or NULL on failure. */
        void* (*create_factory)(void);
        /* Destroys what create_factory() returned, after every object it created is gone. */
        void (*destroy_factory)(void*);
    } plexus_plugin_descriptor;

    typedef const plexus_plugin_descriptor* (*plexus_plugin_entry_fn)(void);

#ifdef __cplusplus
}
#endif
