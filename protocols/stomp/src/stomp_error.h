// The kernel's statuses as ERROR frames (ARCHITECTURE.md §6: each gateway maps errors in one
// errors.cc). STOMP has no error codes: the `message` header names the kind of failure in
// RabbitMQ's words (not_found, access_refused, …) and the body says what failed.
#pragma once

#include "frame_parser.h"
#include "plexus/sdk/status.h"

#include <string_view>

namespace plexus::protocol::stomp {

/// The ERROR for a kernel call that failed while doing `what` ("subscribing to /queue/a").
frame_error from_status(const sdk::status& st, std::string_view what);

/// The status the connection closes with after an ERROR.
sdk::status to_status(const frame_error& e);

} // namespace plexus::protocol::stomp
