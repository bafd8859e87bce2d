#include "memory_engine.h"

#include "config_section.h"

#include <string>

namespace plexus::storage::memory {

sdk::result<engine_config> parse_config(std::string_view json) noexcept
{
    auto section = config_section::parse(json, "memory engine config");
    if (!section) {
        return section.error();
    }
    engine_config config;
    auto max_bytes = section->integer("max_bytes_per_log");
    if (!max_bytes) {
        return max_bytes.error();
    }
    config.max_bytes_per_log = *max_bytes;
    if (auto st = section->finish(); !st.ok()) {
        return st;
    }
    return config;
}

// ---- memory_engine -------------------------------------------------------------------------

sdk::result<std::unique_ptr<sdk::log>> memory_engine::open_log(const sdk::log_spec& spec) noexcept
{
    try {
        if (spec.name.empty()) {
            return sdk::status(sdk::errc::invalid_argument, "a log needs a name");
        }
        if (spec.first_offset < sdk::offset{ 0 }) {
            return sdk::status(sdk::errc::invalid_argument,
                               "log '" + spec.name + "' cannot begin at offset " + std::to_string(spec.first_offset()));
        }
        std::lock_guard lock(_mutex);
        if (_closed) {
            return sdk::status(sdk::errc::unavailable, "the memory engine is closed");
        }
        auto it = _logs.find(spec.name);
        if (it == _logs.end()) {
            auto data = std::make_shared<log_data>(_config.max_bytes_per_log, spec.first_offset);
            it = _logs.emplace(spec.name, std::move(data)).first;
        }
        if (!it->second->try_open()) {
            return sdk::status(sdk::errc::locked, "log '" + spec.name + "' is already open");
        }
        try {
            return std::unique_ptr<sdk::log>(std::make_unique<memory_log>(it->second));
        } catch (...) {
            it->second->close();
            throw;
        }
    } catch (...) {
        return sdk::status(sdk::errc::resource_exhausted, "out of memory opening a memory log");
    }
}

sdk::status memory_engine::remove_log(std::string_view name) noexcept
{
    try {
        std::shared_ptr<log_data> detached; // freed after the lock is released
        std::lock_guard lock(_mutex);
        auto it = _logs.find(name);
        if (it == _logs.end()) {
            return sdk::status(sdk::errc::not_found, "no log named '" + std::string(name) + "'");
        }
        detached = std::move(it->second);
        _logs.erase(it);
        return {};
    } catch (...) {
        return sdk::status(sdk::errc::internal, "removing a memory log failed");
    }
}

sdk::result<std::vector<std::string>> memory_engine::list_logs() noexcept
{
    try {
        std::vector<std::string> names;
        std::lock_guard lock(_mutex);
        names.reserve(_logs.size());
        for (const auto& [name, data] : _logs) {
            names.push_back(name);
        }
        return names;
    } catch (...) {
        return sdk::status(sdk::errc::resource_exhausted, "out of memory listing memory logs");
    }
}

sdk::status memory_engine::close() noexcept
{
    try {
        std::lock_guard lock(_mutex);
        _closed = true;
        return {};
    } catch (...) {
        return sdk::status(sdk::errc::internal, "closing the memory engine failed");
    }
}

// ---- memory_factory ------------------------------------------------------------------------

sdk::status memory_factory::validate(std::string_view config_json) const noexcept
{
    return parse_config(config_json).error();
}

sdk::result<std::unique_ptr<sdk::storage_engine>> memory_factory::create(const sdk::storage_context& ctx,
                                                                         std::string_view config_json) noexcept
{
    auto config = parse_config(config_json);
    if (!config) {
        return config.error();
    }
    try {
        if (ctx.log != nullptr) {
            PLEXUS_LOG(*ctx.log,
                       debug,
                       "memory engine created (max_bytes_per_log: {})",
                       config->max_bytes_per_log ? std::to_string(*config->max_bytes_per_log)
                                                 : std::string("unlimited"));
        }
        return std::unique_ptr<sdk::storage_engine>(std::make_unique<memory_engine>(*config));
    } catch (...) {
        return sdk::status(sdk::errc::resource_exhausted, "out of memory creating the memory engine");
    }
}

} // namespace plexus::storage::memory
