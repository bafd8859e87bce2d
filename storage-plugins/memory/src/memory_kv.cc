#include "memory_kv.h"

#include <set>

namespace plexus::storage::memory {

sdk::result<std::optional<std::string>> memory_kv::get(std::string_view key) noexcept
{
    try {
        std::lock_guard lock(_mutex);
        auto it = _entries.find(key);
        if (it == _entries.end()) {
            return std::optional<std::string>();
        }
        return std::optional<std::string>(it->second);
    } catch (...) {
        return sdk::status(sdk::errc::resource_exhausted, "out of memory reading metadata");
    }
}

sdk::result<std::vector<std::pair<std::string, std::string>>> memory_kv::scan(std::string_view prefix) noexcept
{
    try {
        std::vector<std::pair<std::string, std::string>> out;
        std::lock_guard lock(_mutex);
        for (auto it = _entries.lower_bound(prefix);
             it != _entries.end() && std::string_view(it->first).starts_with(prefix);
             ++it) {
            out.emplace_back(it->first, it->second);
        }
        return out;
    } catch (...) {
        return sdk::status(sdk::errc::resource_exhausted, "out of memory scanning metadata");
    }
}

void memory_kv::apply(std::vector<write> writes, sdk::callback<void(sdk::status)> done) noexcept
{
    sdk::status st;
    try {
        // Stage the batch first (the last write of a key wins), allocating every node outside
        // the lock; then splice the nodes in, which cannot fail, so the batch is all or nothing.
        std::map<std::string, std::string, std::less<>> puts;
        std::set<std::string, std::less<>> deletes;
        for (auto& w : writes) {
            if (w.value) {
                deletes.erase(w.key);
                puts.insert_or_assign(std::move(w.key), std::move(*w.value));
            } else {
                puts.erase(w.key);
                deletes.insert(std::move(w.key));
            }
        }
        std::lock_guard lock(_mutex);
        for (const auto& key : deletes) {
            _entries.erase(key);
        }
        while (!puts.empty()) {
            auto inserted = _entries.insert(puts.extract(puts.begin()));
            if (!inserted.inserted) {
                inserted.position->second = std::move(inserted.node.mapped());
            }
        }
    } catch (...) {
        st = sdk::status(sdk::errc::resource_exhausted, "out of memory applying metadata writes");
    }
    if (done) {
        done(std::move(st));
    }
}

} // namespace plexus::storage::memory
