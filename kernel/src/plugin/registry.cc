#include "kernel/src/plugin/registry.h"

#include <fmt/format.h>

namespace plexus::kernel {

plugin_registry::plugin_registry(std::vector<std::string> dirs)
  : _dirs(std::move(dirs))
{
}

plugin_registry::~plugin_registry()
{
    for (auto it = _load_order.rbegin(); it != _load_order.rend(); ++it) {
        auto& p = _plugins.at(*it);
        p.descriptor->destroy_factory(p.factory);
    }
}

sdk::status plugin_registry::load(plexus_kind kind, const std::string& name)
{
    auto key = std::make_pair(static_cast<int>(kind), name);
    if (_plugins.count(key) != 0) {
        return {};
    }
    auto loaded = load_plugin(_dirs, kind, name);
    if (!loaded) {
        return loaded.error();
    }
    _plugins.emplace(key, std::move(*loaded));
    _load_order.push_back(key);
    return {};
}

sdk::status plugin_registry::load_configured(const broker_config& config)
{
    struct wanted
    {
        plexus_kind kind;
        std::string name;
        std::string config_json;
        std::string where; // the config key path, for errors
    };
    std::vector<wanted> all;
    for (const auto& [name, json] : config.storage_engines) {
        all.push_back({ PLEXUS_KIND_STORAGE, name, json, "storage.engines." + name });
    }
    for (const auto& [name, json] : config.routing_types) {
        all.push_back({ PLEXUS_KIND_ROUTING, name, json, "routing.types." + name });
    }
    for (const auto& l : config.listeners) {
        all.push_back({ PLEXUS_KIND_PROTOCOL, l.protocol, l.config_json, "listeners." + l.name + ".config" });
    }
    for (const auto& w : all) {
        if (auto st = load(w.kind, w.name); !st.ok()) {
            return st;
        }
    }
    // Validate only after everything loaded, so a typo in one section is reported even when a
    // later plugin is also missing — and nothing has been created yet either way.
    for (const auto& w : all) {
        sdk::status st;
        switch (w.kind) {
            case PLEXUS_KIND_STORAGE:
                st = storage(w.name)->validate(w.config_json);
                break;
            case PLEXUS_KIND_ROUTING:
                st = routing(w.name)->validate(w.config_json);
                break;
            case PLEXUS_KIND_PROTOCOL:
                st = protocol(w.name)->validate(w.config_json);
                break;
        }
        if (!st.ok()) {
            return sdk::status(st.code(),
                               one_line(fmt::format("{} plugin '{}' rejected its config ({}): {}",
                                                    sdk::kinds::name_of(w.kind),
                                                    w.name,
                                                    w.where,
                                                    st.message())));
        }
    }
    return {};
}

void* plugin_registry::factory(plexus_kind kind, const std::string& name) const noexcept
{
    auto it = _plugins.find(std::make_pair(static_cast<int>(kind), name));
    return it == _plugins.end() ? nullptr : it->second.factory;
}

sdk::protocol_factory* plugin_registry::protocol(const std::string& name) const noexcept
{
    return static_cast<sdk::protocol_factory*>(factory(PLEXUS_KIND_PROTOCOL, name));
}
sdk::storage_factory* plugin_registry::storage(const std::string& name) const noexcept
{
    return static_cast<sdk::storage_factory*>(factory(PLEXUS_KIND_STORAGE, name));
}
sdk::router_factory* plugin_registry::routing(const std::string& name) const noexcept
{
    return static_cast<sdk::router_factory*>(factory(PLEXUS_KIND_ROUTING, name));
}

std::vector<const sdk::record_format*> plugin_registry::record_formats() const
{
    std::vector<const sdk::record_format*> out;
    for (const auto& key : _load_order) {
        if (key.first == PLEXUS_KIND_PROTOCOL) {
            for (const auto* f : static_cast<sdk::protocol_factory*>(_plugins.at(key).factory)->record_formats()) {
                out.push_back(f);
            }
        }
    }
    return out;
}

std::vector<const loaded_plugin*> plugin_registry::loaded() const
{
    std::vector<const loaded_plugin*> out;
    for (const auto& key : _load_order) {
        out.push_back(&_plugins.at(key));
    }
    return out;
}

} // namespace plexus::kernel
