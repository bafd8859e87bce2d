#include "stomp_error.h"

#include <string>

namespace plexus::protocol::stomp {

using sdk::errc;

frame_error from_status(const sdk::status& st, std::string_view what)
{
    std::string_view name;
    switch (st.code()) {
        case errc::ok:
            name = "ok";
            break;
        case errc::not_found:
            name = "not_found";
            break;
        case errc::already_exists:
        case errc::precondition_failed:
        case errc::invalid_argument:
            name = "precondition_failed";
            break;
        case errc::locked:
            name = "resource_locked";
            break;
        case errc::forbidden:
        case errc::unauthenticated:
            name = "access_refused";
            break;
        case errc::not_supported:
            name = "not_implemented";
            break;
        case errc::resource_exhausted:
            name = "resource_error";
            break;
        case errc::protocol_error:
            name = "syntax_error";
            break;
        case errc::unavailable:
        case errc::timed_out:
            name = "unavailable";
            break;
        case errc::io_error:
        case errc::corruption:
        case errc::internal:
            name = "internal_error";
            break;
    }
    std::string detail(what);
    detail += ": ";
    detail += st.message().empty() ? sdk::to_string(st.code()) : st.message();
    return frame_error{ std::string(name), std::move(detail) };
}

sdk::status to_status(const frame_error& e)
{
    return sdk::status(errc::protocol_error, "STOMP ERROR " + e.message + ": " + e.detail);
}

} // namespace plexus::protocol::stomp
