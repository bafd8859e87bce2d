// The opening handshake (RFC 6455 §4.2): an HTTP/1.1 GET asking to upgrade, answered with
// 101 Switching Protocols or refused with an HTTP error the client can show.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace plexus::protocol::websocket {

struct upgrade_policy
{
    /// The request path (before any query) must be this one.
    std::string path = "/ws";
    /// Subprotocols the gateway speaks, preferred first. A client that offers some must
    /// offer one of these; a client that offers none is accepted (and gets no header).
    std::vector<std::string> subprotocols;
};

struct upgrade_answer
{
    int status = 0;       ///< 101 switches; 400, 404, 426 refuse
    std::string response; ///< the whole HTTP response to write
    std::string protocol; ///< the subprotocol chosen; empty when none was offered
    std::string reason;   ///< why a refusal, for the log
};

/// Where the request head ends (one past its blank line), or npos when `text` has none yet.
std::size_t end_of_head(std::string_view text) noexcept;

/// Answers a request head (up to and including its blank line).
upgrade_answer answer_upgrade(std::string_view head, const upgrade_policy& policy);

/// Sec-WebSocket-Accept for a Sec-WebSocket-Key: base64(SHA-1(key + the RFC's GUID)).
std::string accept_key(std::string_view client_key);

} // namespace plexus::protocol::websocket
