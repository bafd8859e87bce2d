// Plain blocking TCP for the drivers that speak their protocol on a socket of their own (STOMP,
// the relay): connect with TCP_NODELAY, send everything, wait for input. Errors are
// driver_errors naming the role ("publisher 0") and the cause.
#pragma once

#include "driver.h"

#include <cstdint>
#include <string>
#include <string_view>

namespace plexus::bench {

/// A connected socket to host:port with TCP_NODELAY set (latency runs send one message at a
/// time); the caller closes it.
int connect_tcp(const std::string& host, std::uint16_t port, const std::string& role);

/// Sends all of `bytes`, retrying short writes.
void send_all(int fd, std::string_view bytes, const std::string& role);

/// Waits up to `wait_ms` for `fd` to become readable; false when it did not.
bool wait_readable(int fd, int wait_ms, const std::string& role);

} // namespace plexus::bench
