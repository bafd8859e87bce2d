#include "credentials.h"

namespace plexus::protocol::mqtt {

reason_code authenticate(sdk::kernel& kernel,
                         const std::optional<std::string>& username,
                         const std::optional<std::string>& password,
                         const sdk::peer_info& peer,
                         const gateway_config& config)
{
    if (!username) {
        return config.allow_anonymous && peer.loopback ? reason_code::success : reason_code::not_authorized;
    }
    auto checked = kernel.authenticate(*username, password.value_or(std::string()), peer);
    if (checked) {
        return reason_code::success;
    }
    return checked.error().code() == sdk::errc::forbidden ? reason_code::not_authorized
                                                          : reason_code::bad_user_name_or_password;
}

} // namespace plexus::protocol::mqtt
