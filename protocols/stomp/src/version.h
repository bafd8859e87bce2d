// The protocol versions the gateway speaks and how a CONNECT picks one (spec 1.2 "Protocol
// Negotiation"): no accept-version means 1.0; otherwise the highest version both sides know.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace plexus::protocol::stomp {

enum class version : std::uint8_t
{
    v1_0,
    v1_1,
    v1_2,
};

inline constexpr std::string_view supported_versions = "1.0,1.1,1.2";

/// "1.2".
std::string_view to_string(version v) noexcept;

/// The version to speak given the CONNECT's accept-version header (nullptr when absent);
/// nullopt when the client names none we speak.
std::optional<version> negotiate(const std::string* accept_version) noexcept;

} // namespace plexus::protocol::stomp
