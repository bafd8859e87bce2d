#include "kernel/src/server/plugin_store.h"

namespace plexus::kernel {
sdk::result<std::optional<std::string>> prefixed_store::get(std::string_view key) noexcept
{
    try {
        return _inner.get(_prefix + std::string(key));
    } catch (const std::bad_alloc&) {
        return sdk::status(sdk::errc::resource_exhausted, "out of memory reading a plugin store");
    }
}

sdk::result<std::vector<std::pair<std::string, std::string>>> prefixed_store::scan(std::string_view prefix) noexcept
{
    try {
        auto rows = _inner.scan(_prefix + std::string(prefix));
        if (rows) {
            for (auto& [key, value] : *rows) {
                key.erase(0, _prefix.size());
            }
        }
        return rows;
    } catch (const std::bad_alloc&) {
        return sdk::status(sdk::errc::resource_exhausted, "out of memory scanning a plugin store");
    }
}

void prefixed_store::apply(std::vector<write> writes, sdk::callback<void(sdk::status)> done) noexcept
{
    try {
        for (auto& w : writes) {
            w.key.insert(0, _prefix);
        }
    } catch (const std::bad_alloc&) {
        if (done) {
            done(sdk::status(sdk::errc::resource_exhausted, "out of memory writing a plugin store"));
        }
        return;
    }
    _inner.apply(std::move(writes), std::move(done));
}

sdk::kv_store& plugin_stores::space(std::string_view name)
{
    std::lock_guard lock(_mutex);
    auto it = _spaces.find(name);
    if (it == _spaces.end()) {
        it = _spaces
               .emplace(std::string(name),
                        std::make_unique<prefixed_store>(_metadata, "plugin/" + std::string(name) + "/"))
               .first;
    }
    return *it->second;
}

} // namespace plexus::kernel
