#include "session_store.h"

namespace plexus::protocol::mqtt {
namespace {

constexpr std::string_view key_prefix = "session/";

std::string key_of(const std::string& vhost, const std::string& client_id)
{
    std::string key(key_prefix);
    key += vhost;
    key += '\0'; // a vhost name may hold '/', never NUL
    key += client_id;
    return key;
}

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
        const auto nul = key.find('\0', key_prefix.size());
        auto record = decode_session_record(value);
        if (nul == std::string::npos || !record) {
            PLEXUS_LOG(log, warn, "a stored session could not be decoded and is skipped");
            continue;
        }
        out.push_back(
          stored{ key.substr(key_prefix.size(), nul - key_prefix.size()), key.substr(nul + 1), std::move(*record) });
    }
    return out;
}

void session_store::save(const std::string& vhost, const std::string& client_id, const session_record& r)
{
    write(key_of(vhost, client_id), encode_session_record(r));
}

void session_store::remove(const std::string& vhost, const std::string& client_id)
{
    write(key_of(vhost, client_id), std::nullopt);
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
