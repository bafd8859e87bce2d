#include "retained_store.h"

#include "record_codec.h"
#include "topic.h"
#include "vhost_key.h"

#include <fmt/format.h>

#include <optional>

namespace plexus::protocol::mqtt {
namespace {

constexpr std::string_view key_prefix = "retained/";

} // namespace

void retained_store::attach(sdk::kv_store& store, sdk::logger& log)
{
    std::lock_guard lock(_mutex);
    if (_store != nullptr) {
        return;
    }
    _store = &store;
    _log = &log;
    load();
}

void retained_store::load()
{
    auto rows = _store->scan(key_prefix);
    if (!rows) {
        PLEXUS_LOG(*_log, warn, "retained messages could not be read: {}", rows.error().to_string());
        return;
    }
    std::size_t loaded = 0;
    for (const auto& [key, value] : *rows) {
        auto names = split_vhost_key(key_prefix, key);
        std::vector<sdk::message_ptr> decoded;
        const auto bytes = sdk::bytes::copy_of(value);
        if (!names || !storage::decode_records(bytes, 0, bytes.size(), 1, decoded).ok() || decoded.size() != 1) {
            PLEXUS_LOG(*_log, warn, "a stored retained message could not be decoded and is skipped");
            continue;
        }
        _by_vhost[names->first][names->second] = std::move(decoded.front());
        ++loaded;
    }
    if (loaded > 0) {
        PLEXUS_LOG(*_log, info, "{} retained message(s) restored", loaded);
    }
}

void retained_store::set(const std::string& vhost, const std::string& topic, sdk::message_ptr msg, bool write_through)
{
    std::lock_guard lock(_mutex);
    auto& table = _by_vhost[vhost];
    std::optional<std::string> stored;
    const bool write = write_through && _store != nullptr;
    if (!msg || msg->body.empty()) {
        table.erase(topic);
    } else {
        if (write) {
            stored.emplace();
            storage::encode_record(*msg, *stored);
        }
        table[topic] = std::move(msg);
    }
    if (!write) {
        return;
    }
    std::vector<sdk::kv_store::write> writes;
    writes.push_back({ vhost_key(key_prefix, vhost, topic), std::move(stored) });
    _store->apply(std::move(writes), [log = _log](sdk::status st) {
        if (!st.ok()) {
            PLEXUS_LOG(*log, warn, "a retained message could not be stored: {}", st.to_string());
        }
    });
}

std::size_t retained_store::count(const std::string& vhost) const
{
    std::lock_guard lock(_mutex);
    auto it = _by_vhost.find(vhost);
    return it == _by_vhost.end() ? 0 : it->second.size();
}

std::vector<std::pair<std::string, sdk::message_ptr>> retained_store::matching(const std::string& vhost,
                                                                               std::string_view filter) const
{
    std::vector<std::pair<std::string, sdk::message_ptr>> out;
    std::lock_guard lock(_mutex);
    auto it = _by_vhost.find(vhost);
    if (it == _by_vhost.end()) {
        return out;
    }
    if (!has_wildcards(filter)) {
        if (auto m = it->second.find(std::string(filter)); m != it->second.end()) {
            out.emplace_back(m->first, m->second);
        }
        return out;
    }
    for (const auto& [topic, msg] : it->second) {
        if (topic_matches(filter, topic)) {
            out.emplace_back(topic, msg);
        }
    }
    return out;
}

} // namespace plexus::protocol::mqtt
