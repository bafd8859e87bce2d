// The plugins this broker loaded, by kind and name. Loads only what the config names, validates
// every plugin's config section before anything is created, and destroys the factories last
// (after every object they made is gone). Libraries stay mapped until exit.
#pragma once

#include "kernel/src/config/broker_config.h"
#include "kernel/src/plugin/loader.h"
#include "plexus/sdk/plugin.h"

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace plexus::kernel {

class plugin_registry
{
  public:
    explicit plugin_registry(std::vector<std::string> dirs);
    ~plugin_registry();
    plugin_registry(const plugin_registry&) = delete;
    plugin_registry& operator=(const plugin_registry&) = delete;

    /// Loads (once) the plugin of this kind and name. The status message is one line naming
    /// the plugin, the file or the paths tried, and the cause.
    sdk::status load(plexus_kind kind, const std::string& name);

    /// Loads every plugin `config` names (storage engines, routing types, listener protocols)
    /// and then validates each one's config section; stops at the first failure.
    sdk::status load_configured(const broker_config& config);

    /// nullptr when not loaded.
    sdk::protocol_factory* protocol(const std::string& name) const noexcept;
    sdk::storage_factory* storage(const std::string& name) const noexcept;
    sdk::router_factory* routing(const std::string& name) const noexcept;

    std::vector<const loaded_plugin*> loaded() const;
    /// The record formats of every loaded protocol plugin (protocol_factory::record_formats()).
    std::vector<const sdk::record_format*> record_formats() const;
    const std::vector<std::string>& dirs() const noexcept { return _dirs; }

  private:
    void* factory(plexus_kind kind, const std::string& name) const noexcept;

    std::vector<std::string> _dirs;
    std::map<std::pair<int, std::string>, loaded_plugin> _plugins;
    std::vector<std::pair<int, std::string>> _load_order; // factories die in reverse order
};

} // namespace plexus::kernel
