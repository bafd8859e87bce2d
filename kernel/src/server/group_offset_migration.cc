// Committed offsets stored under the legacy "grp/…" keys move to group_offset_key() once, at
// startup, so that a broker upgraded in place keeps every group's position.
#include "kernel/src/server/broker_core.h"
#include "kernel/src/server/group_offset_keys.h"

namespace plexus::kernel {

awaitable<sdk::status> broker_core::migrate_group_offsets()
{
    std::vector<std::string> vhosts;
    for (const auto& [name, vh] : _catalog) {
        vhosts.push_back(name);
    }
    for (auto& [engine_name, e] : _engines) {
        auto& store = e->metadata();
        auto rows = store.scan(legacy_group_offsets_prefix);
        if (!rows) {
            co_return rows.error();
        }
        if (rows->empty()) {
            continue;
        }
        // Only streams of this engine: a stream's offsets are kept in its own engine.
        auto is_stream = [this, name = engine_name](std::string_view vhost, std::string_view stream) {
            auto vh = _catalog.find(std::string(vhost));
            if (vh == _catalog.end()) {
                return false;
            }
            auto st = vh->second.streams.find(std::string(stream));
            return st != vh->second.streams.end() && st->second.spec.storage == name;
        };
        std::vector<sdk::kv_store::write> writes;
        std::size_t moved = 0, ambiguous = 0, orphaned = 0;
        for (const auto& [key, value] : *rows) {
            auto owners = legacy_group_offset_owners(key, vhosts, is_stream);
            if (owners.empty()) {
                // Its stream is gone (nothing could read it) or it is not an offset: left as it
                // is, for whoever wants to look.
                ++orphaned;
                continue;
            }
            ambiguous += owners.size() > 1 ? 1 : 0;
            for (const auto& o : owners) {
                auto target = group_offset_key(o.vhost, o.group, o.stream, o.partition);
                auto existing = store.get(target);
                if (!existing) {
                    co_return existing.error();
                }
                if (!existing->has_value()) { // a commit under the new key is newer
                    writes.push_back({ std::move(target), value });
                }
            }
            writes.push_back({ key, std::nullopt });
            ++moved;
        }
        if (writes.empty()) {
            continue;
        }
        if (auto st = co_await apply_and_wait(store, std::move(writes)); !st.ok()) {
            co_return st;
        }
        PLEXUS_LOG(_log,
                   info,
                   "storage engine '{}': moved {} committed offset(s) to unambiguous keys ({} shared by several "
                   "group/stream readings, given to each; {} of streams that are gone left alone)",
                   engine_name,
                   moved,
                   ambiguous,
                   orphaned);
    }
    co_return sdk::status{};
}

} // namespace plexus::kernel
