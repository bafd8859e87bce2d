#include "transport_config.h"

#include <algorithm>
#include <exception>

namespace plexus::protocol::websocket {

sdk::status read_transport(storage::config_section& s, const std::string& owner, listener_transport& out) noexcept
try {
    auto transport = s.one_of("transport", { "tcp", "websocket" });
    if (!transport) {
        return transport.error();
    }
    out.websocket = transport->value_or("tcp") == "websocket";
    auto path = s.text("websocket_path");
    if (!path) {
        return path.error();
    }
    if (path->has_value()) {
        if (!out.websocket) {
            return sdk::status(sdk::errc::invalid_argument,
                               owner + " key 'websocket_path': needs transport: websocket");
        }
        const auto& p = **path;
        // An origin-form path (RFC 9112 §3.2.1) without a query: what a request line carries.
        const bool printable = std::all_of(p.begin(), p.end(), [](unsigned char c) { return c > 0x20 && c < 0x7F; });
        if (p.front() != '/' || !printable || p.find('?') != std::string::npos) {
            return sdk::status(sdk::errc::invalid_argument,
                               owner +
                                 " key 'websocket_path': expected a path starting with '/', without spaces or "
                                 "a query, got '" +
                                 p + "'");
        }
        out.path = p;
    }
    return {};
} catch (const std::exception&) {
    return sdk::status(sdk::errc::resource_exhausted, "out of memory reading " + owner);
}

} // namespace plexus::protocol::websocket
