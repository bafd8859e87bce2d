#include "login.h"

namespace plexus::protocol::stomp {

std::optional<std::string> refuse_login(const std::string* login,
                                        const std::string* passcode,
                                        const sdk::peer_info& peer)
{
    const std::string user = login != nullptr ? *login : std::string(default_user);
    const std::string password = passcode != nullptr ? *passcode : login == nullptr ? "guest" : "";
    if (user == "guest" && password == "guest") {
        if (!peer.loopback) {
            return "user 'guest' can only connect via localhost";
        }
        return std::nullopt;
    }
    // As for a wrong password: the client learns only that it was refused.
    return "Access refused for user '" + user + "'";
}

} // namespace plexus::protocol::stomp
