// What a persistent session keeps in the broker's metadata store between connections and
// across restarts: its expiry, when its client went away, its subscription table and the
// QoS 2 packet ids in flight (spec 5.0 §4.1: the session state of the server). Its messages
// wait in its durable kernel queue; this record is what the queue cannot say.
//
// Encoded with the SDK's stored-format building blocks (field_codec.h), behind a version
// byte so a later format can read this one.
#pragma once

#include "session_state.h"

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace plexus::protocol::mqtt {

struct session_record
{
    std::string queue;
    std::uint32_t expiry_seconds = 0; ///< 0xFFFFFFFF: never
    /// Milliseconds since the epoch at which the last connection closed; 0 while connected.
    std::int64_t offline_since_ms = 0;
    std::map<std::string, subscription_entry> subscriptions;
    std::set<std::uint16_t> inbound_qos2;
    std::set<std::uint16_t> outbound_qos2;
};

/// The record of `state` (read under its mutex by the caller).
session_record record_of(const session_state& state, std::int64_t offline_since_ms);
std::string encode_session_record(const session_record& r);
/// nullopt when `bytes` is not a record this version can read.
std::optional<session_record> decode_session_record(std::string_view bytes);

} // namespace plexus::protocol::mqtt
