#include "session_store.h"

#include "vhost_key.h"

namespace plexus::protocol::mqtt {
namespace {

constexpr std::string_view key_prefix = "session/";

} // namespace

std::vector<session_store::stored> session_store::attach(sdk::kv_store& store, sdk::logger& log)
{
    std::lock_guard lock(_mutex);
    _store = &store;
    _log = &log;
    std::vector<stored> out;
    auto rows = store.scan(key_prefix);
    if (!rows) {
        PLEXUS_LOG(log, warn, "persistent sessions could not be read: {}", rows.error().to_string());
        return out;
    }
    for (const auto& [key, value] : *rows) {
        auto names = split_vhost_key(key_prefix, key);
        auto record = decode_session_record(value);
        if (!names || !record) {
            PLEXUS_LOG(log, warn, "a stored session could not be decoded and is skipped");
            continue;
        }
        out.push_back(stored{ std::move(names->first), std::move(names->second), std::move(*record) });
    }
    return out;
}

void session_store::save(const std::string& vhost, const std::string& client_id, const session_record& r)
{
    write(vhost_key(key_prefix, vhost, client_id), encode_session_record(r));
}

void session_store::remove(const std::string& vhost, const std::string& client_id)
{
    write(vhost_key(key_prefix, vhost, client_id), std::nullopt);
}

void session_store::write(std::string key, std::optional<std::string> value)
{
    std::lock_guard lock(_mutex);
    if (_store == nullptr) {
        return; // not attached: only unit tests without a store get here
    }
    std::vector<sdk::kv_store::write> writes;
    writes.push_back({ std::move(key), std::move(value) });
    _store->apply(std::move(writes), [log = _log](sdk::status st) {
        if (!st.ok()) {
            PLEXUS_LOG(*log, warn, "a persistent session's state could not be stored: {}", st.to_string());
        }
    });
}

} // namespace plexus::protocol::mqtt
