#include "errors.h"

namespace plexus::protocol::mqtt {

reason_code from_status(const sdk::status& st) noexcept
{
    switch (st.code()) {
        case sdk::errc::ok:
            return reason_code::success;
        case sdk::errc::resource_exhausted:
            return reason_code::quota_exceeded; // the disk alarm, a full queue
        case sdk::errc::forbidden:
        case sdk::errc::unauthenticated:
        case sdk::errc::locked:
            return reason_code::not_authorized;
        case sdk::errc::invalid_argument:
            return reason_code::topic_name_invalid;
        case sdk::errc::unavailable:
            return reason_code::server_unavailable;
        default:
            return reason_code::implementation_specific_error;
    }
}

} // namespace plexus::protocol::mqtt
