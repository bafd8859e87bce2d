// Heart-beat negotiation (spec 1.2 "Heart-beating"). The CONNECT header `cx,cy` says the
// client can send a beat every cx ms and wants one every cy ms (0 = cannot / does not want).
// The gateway agrees to both, but never more often than its floor, and answers `sx,sy` so
// that the client computes the same intervals: the server sends every max(sx,cy) and expects
// one every max(cx,sy).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace plexus::protocol::stomp {

struct heart_beat
{
    std::uint32_t send_ms = 0;    ///< server → client interval; 0 = none
    std::uint32_t receive_ms = 0; ///< client → server interval; 0 = not checked

    /// The CONNECTED header value.
    std::string header() const { return std::to_string(send_ms) + "," + std::to_string(receive_ms); }
};

/// The intervals for a CONNECT's heart-beat header (nullptr when absent: none); nullopt
/// when it is not two comma-separated numbers.
std::optional<heart_beat> negotiate_heart_beat(const std::string* header, std::uint32_t floor_ms);

} // namespace plexus::protocol::stomp
