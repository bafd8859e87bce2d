// Header escaping as each version defines it: 1.0 has none; 1.1 escapes LF (\n), colon (\c)
// and backslash (\\); 1.2 adds CR (\r). Any other backslash sequence is a protocol error.
// CONNECT and CONNECTED headers are never escaped (spec 1.2), so 1.0 clients can read the
// CONNECTED of a server that speaks 1.2.
#pragma once

#include "version.h"

#include <optional>
#include <string>
#include <string_view>

namespace plexus::protocol::stomp {

/// The header text as written on the wire; nullopt on an undefined escape sequence.
std::optional<std::string> unescape(std::string_view raw, version v);
/// `text` ready to go on the wire.
std::string escape(std::string_view text, version v);

} // namespace plexus::protocol::stomp
