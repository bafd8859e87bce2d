// What every session of one MQTT listener shares, on every shard: the config, the session
// registry (takeover, offline persistent sessions) and the retained messages. Owned by the
// listener, which outlives its sessions.
#pragma once

#include "gateway_config.h"
#include "retained_store.h"
#include "session_registry.h"

#include <atomic>
#include <cstdint>

namespace plexus::protocol::mqtt {

struct listener_shared
{
    explicit listener_shared(gateway_config c)
      : config(c)
    {
    }
    const gateway_config config;
    session_registry sessions;
    retained_store retained;
    /// Numbers assigned client ids ("plexus-<n>") across shards.
    std::atomic<std::uint64_t> assigned_ids{ 0 };
};

} // namespace plexus::protocol::mqtt
