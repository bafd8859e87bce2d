// Server frames onto the wire: the command line, the headers escaped as the version says
// (never for CONNECTED), a blank line, the body shared (not copied) and the NUL. Headers are
// written exactly as given; callers add content-length where a body may hold a NUL.
#pragma once

#include "frame.h"
#include "version.h"

namespace plexus::protocol::stomp {

sdk::buffer_chain encode(const frame& f, version v);

/// One heart-beat: a lone EOL.
inline constexpr std::string_view heartbeat_eol = "\n";

} // namespace plexus::protocol::stomp
