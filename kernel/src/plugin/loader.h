// The plugin loader: dlopen()s a plugin by kind and name and checks its descriptor before
// anything C++ inside it is touched.
//
// Every refusal is a failed status whose message is one line naming the plugin, the file (or
// every path tried) and the cause; startup prints it and exits with exit_code::plugin_refused.
// Libraries are never dlclose()d: code stays mapped until exit, so no callback can outlive it.
#pragma once

#include "plexus/sdk/abi.h"
#include "plexus/sdk/result.h"

#include <string>
#include <string_view>
#include <vector>

namespace plexus::kernel {

/// A plugin that passed every check, with its factory created.
struct loaded_plugin
{
    std::string path;
    const plexus_plugin_descriptor* descriptor = nullptr;
    void* factory = nullptr; ///< a plexus::sdk::<kind>_factory*, destroyed by destroy_factory()
    void* handle = nullptr;  ///< the dlopen() handle; never closed once the factory exists
};

/// `text` with newlines and other control characters escaped (\n, \x1b), so that a message
/// built from what a plugin or dlerror() says stays one printable line.
std::string one_line(std::string_view text);

/// The file name a plugin of this kind and name has: libplexus_<kind>_<name>.so.
std::string plugin_file_name(plexus_kind kind, std::string_view name);

/// Finds libplexus_<kind>_<name>.so in `dirs` (first match wins) and loads it.
sdk::result<loaded_plugin> load_plugin(const std::vector<std::string>& dirs, plexus_kind kind, std::string_view name);

/// Loads one file and checks that it is the plugin (kind, name) the config asked for.
sdk::result<loaded_plugin> load_plugin_file(const std::string& path, plexus_kind kind, std::string_view name);

/// Loads one file for listing (no kind/name expectation) but still checks ABI and
/// fingerprint; the factory is not created.
sdk::result<loaded_plugin> inspect_plugin_file(const std::string& path);

} // namespace plexus::kernel
