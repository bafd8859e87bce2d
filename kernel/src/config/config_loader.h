// Reads plexus.yaml (or the embedded default) into a broker_config, strictly: an unknown key, a
// value of the wrong type or out of range stops startup with one line naming the file and the
// key path (`plexus.yaml: listeners[1].port: expected an integer 0..65535, got 'abc'`).
// Plugin sections (storage.engines.<name>, routing.types.<name>, listeners[].config) are
// passed on as JSON text; each plugin validates its own.
#pragma once

#include "kernel/src/config/broker_config.h"
#include "plexus/sdk/result.h"

#include <string>
#include <string_view>
#include <vector>

namespace plexus::kernel {

/// Where the configuration comes from.
struct config_source
{
    std::string file;                   ///< empty: the embedded default
    std::vector<std::string> overrides; ///< "--set a.b=c" arguments, applied in order
    /// Directories to look for protocol plugins when building the default listener list.
    std::vector<std::string> default_plugin_dirs;
};

/// The embedded default configuration (YAML), documented in docs/config.md.
std::string embedded_default_config(const std::vector<std::string>& plugin_dirs);

/// Loads, overrides and validates. The error status message is the one line to print.
sdk::result<broker_config> load_config(const config_source& source);

/// Parses YAML text (for tests); `origin` names it in errors.
sdk::result<broker_config> parse_config(std::string_view yaml,
                                        std::string_view origin,
                                        const std::vector<std::string>& overrides = {});

} // namespace plexus::kernel
