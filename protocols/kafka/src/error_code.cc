#include "error_code.h"

namespace plexus::protocol::kafka {

error_code to_error_code(const sdk::status& st) noexcept
{
    switch (st.code()) {
        case sdk::errc::ok:
            return error_code::none;
        case sdk::errc::not_found:
            return error_code::unknown_topic_or_partition;
        case sdk::errc::forbidden:
        case sdk::errc::unauthenticated:
            return error_code::topic_authorization_failed;
        case sdk::errc::timed_out:
            return error_code::request_timed_out;
        case sdk::errc::corruption:
            return error_code::corrupt_message;
        case sdk::errc::invalid_argument:
        case sdk::errc::protocol_error:
            return error_code::invalid_request;
        case sdk::errc::resource_exhausted: // a disk alarm: retriable, as Kafka's full-disk error is
        case sdk::errc::io_error:
            return error_code::kafka_storage_error;
        default:
            return error_code::unknown_server_error;
    }
}

} // namespace plexus::protocol::kafka
