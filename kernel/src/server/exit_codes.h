// plexusd's exit codes: distinct per startup failure so that scripts and tests can tell them
// apart (tests/integration/smoke asserts them). Documented in docs/operations.md.
#pragma once

namespace plexus::kernel {

enum class exit_code : int
{
    ok = 0,
    internal = 1,
    usage = 2,                    ///< bad command-line arguments
    config_invalid = 3,           ///< unreadable file, unknown key, bad value
    plugin_refused = 4,           ///< a plugin could not be loaded, validated or created
    bind_failed = 5,              ///< a listener or the admin port could not be bound (e.g. in use)
    data_dir_unusable = 6,        ///< the data directory cannot be created or written
    definitions_unrecoverable = 7 ///< stored definitions are unreadable or cannot be re-created
};

} // namespace plexus::kernel
