#include "credentials.h"

namespace plexus::protocol::mqtt {

reason_code authenticate(const std::optional<std::string>& username,
                         const std::optional<std::string>& password,
                         const sdk::peer_info& peer,
                         const gateway_config& config)
{
    if (!username) {
        return config.allow_anonymous && peer.loopback ? reason_code::success : reason_code::not_authorized;
    }
    if (*username == "guest" && password && *password == "guest") {
        return peer.loopback ? reason_code::success : reason_code::not_authorized;
    }
    return reason_code::bad_user_name_or_password;
}

} // namespace plexus::protocol::mqtt
