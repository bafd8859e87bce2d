#include "kernel/src/auth/user_store.h"

#include "kernel/src/auth/password_hash.h"

#include <algorithm>

namespace plexus::kernel {

using sdk::errc;
using sdk::status;

user_store::user_store(const std::vector<user_config>& users)
{
    if (users.empty()) {
        user_config guest;
        guest.name = "guest";
        guest.password_hash = hash_password("guest");
        guest.tags = { "administrator" };
        guest.vhosts = { "*" };
        guest.loopback_only = true;
        _users.emplace(guest.name, std::move(guest));
        return;
    }
    for (const auto& u : users) {
        _users.emplace(u.name, u);
    }
}

sdk::result<sdk::user_identity> user_store::authenticate(std::string_view user,
                                                         std::string_view password,
                                                         const sdk::peer_info& peer) const
{
    auto it = _users.find(user);
    if (it == _users.end()) {
        return status(errc::unauthenticated, "user '" + std::string(user) + "' does not exist");
    }
    if (!verify_password(it->second.password_hash, password)) {
        return status(errc::unauthenticated, "user '" + std::string(user) + "': wrong password");
    }
    if (it->second.loopback_only && !peer.loopback) {
        // RabbitMQ's words: clients and operators recognise them.
        return status(errc::forbidden, "user '" + std::string(user) + "' can only connect via localhost");
    }
    return sdk::user_identity{ it->second.name, it->second.tags };
}

status user_store::check_vhost_access(std::string_view user, std::string_view vhost) const
{
    auto it = _users.find(user);
    if (it != _users.end()) {
        const auto& allowed = it->second.vhosts;
        if (std::any_of(allowed.begin(), allowed.end(), [&](const auto& v) { return v == "*" || v == vhost; })) {
            return {};
        }
    }
    return status(errc::forbidden,
                  "access to vhost '" + std::string(vhost) + "' refused for user '" + std::string(user) + "'");
}

} // namespace plexus::kernel
