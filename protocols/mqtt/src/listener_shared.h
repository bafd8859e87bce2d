// What every session of one MQTT listener uses, on every shard: the listener's config and
// the state all listeners share (gateway_shared.h). Owned by the listener, which outlives its
// sessions.
#pragma once

#include "gateway_config.h"
#include "gateway_shared.h"

#include <atomic>
#include <cstdint>
#include <memory>

namespace plexus::protocol::mqtt {

struct listener_shared
{
    listener_shared(gateway_config c, std::shared_ptr<gateway_shared> g)
      : config(c)
      , gateway(std::move(g))
      , sessions(gateway->sessions_of(config.vhost))
      , session_records(gateway->session_records)
      , retained(gateway->retained)
      , assigned_ids(gateway->assigned_ids)
      , counters(gateway->counters)
    {
    }
    const gateway_config config;
    const std::shared_ptr<gateway_shared> gateway;
    session_registry& sessions;
    session_store& session_records;
    retained_store& retained;
    std::atomic<std::uint64_t>& assigned_ids;
    sys_counters& counters;
};

} // namespace plexus::protocol::mqtt
