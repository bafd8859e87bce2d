#include "login.h"

namespace plexus::protocol::stomp {

std::optional<std::string> refuse_login(sdk::kernel& kernel,
                                        const std::string* login,
                                        const std::string* passcode,
                                        const sdk::peer_info& peer)
{
    const std::string user = login != nullptr ? *login : std::string(default_user);
    const std::string password = passcode != nullptr ? *passcode : login == nullptr ? "guest" : "";
    auto checked = kernel.authenticate(user, password, peer);
    if (checked) {
        return std::nullopt;
    }
    if (checked.error().code() == sdk::errc::forbidden) {
        return std::string(checked.error().message()); // "user 'guest' can only connect via localhost"
    }
    // As for a wrong password: the client learns only that it was refused.
    return "Access refused for user '" + user + "'";
}

} // namespace plexus::protocol::stomp
