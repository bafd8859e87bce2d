// The keys of the gateway's records in its plugin store: `<kind prefix><vhost>\0<name>`. A
// vhost name may hold '/', never NUL, so the split is unambiguous.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace plexus::protocol::mqtt {

inline std::string vhost_key(std::string_view prefix, std::string_view vhost, std::string_view name)
{
    std::string key(prefix);
    key += vhost;
    key += '\0';
    key += name;
    return key;
}

/// (vhost, name) of a key vhost_key() made with `prefix`; nullopt for any other key.
inline std::optional<std::pair<std::string, std::string>> split_vhost_key(std::string_view prefix, std::string_view key)
{
    if (!key.starts_with(prefix)) {
        return std::nullopt;
    }
    const auto nul = key.find('\0', prefix.size());
    if (nul == std::string_view::npos) {
        return std::nullopt;
    }
    return std::pair{ std::string(key.substr(prefix.size(), nul - prefix.size())), std::string(key.substr(nul + 1)) };
}

} // namespace plexus::protocol::mqtt
