// What every MQTT listener of one broker shares: the sessions by client id and the retained
// messages. A client id names one session whichever listener it connects through (TCP or
// WebSocket), as in Mosquitto, so a takeover or a resumed persistent session works across
// listeners, and a retained message set through one listener reaches the subscribers of all.
//
// The listeners own it jointly; the plugin's factory keeps only a weak reference, so a
// broker created again in the same process starts from what its store holds, not from the
// previous broker's memory.
#pragma once

#include "retained_store.h"
#include "session_registry.h"

#include <atomic>
#include <cstdint>

namespace plexus::protocol::mqtt {

struct gateway_shared
{
    // Every session uses the vhost "/" (docs/protocols/mqtt.md): one registry serves them.
    session_registry sessions;
    retained_store retained;
    /// Numbers assigned client ids ("plexus-<n>") across shards and listeners.
    std::atomic<std::uint64_t> assigned_ids{ 0 };
};

} // namespace plexus::protocol::mqtt
