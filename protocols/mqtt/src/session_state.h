// What an MQTT session is beyond one network connection (spec 5.0 §4.1): its subscriptions,
// the QoS 2 packet ids in flight in each direction, and whether it outlives the connection.
//
// A persistent session (3.1.1 clean session 0, v5 session expiry > 0) keeps this in the
// session_registry between connections and, written through, in the broker's plugin store
// (session_store.h), so it comes back after a plexusd restart; its messages wait in a durable
// kernel queue. A session queue found after a restart without a stored record (one from a
// version that did not store them) is "restored": its messages are delivered at the QoS they
// were published with until the client subscribes again.
//
// Threading: the connection that owns the session changes shards on takeover, so every field
// is read and written under `mutex`, never across a kernel call.
#pragma once

#include "topic.h"
#include "plexus/sdk/executor.h"

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

namespace plexus::protocol::mqtt {

struct subscription_entry
{
    std::string filter; ///< the MQTT filter (for shared ones, without "$share/<group>/")
    std::optional<shared_filter> shared;
    std::uint8_t qos = 0;
    bool no_local = false;
    bool retain_as_published = false;
    std::optional<std::uint32_t> identifier;
};

struct session_state
{
    std::mutex mutex;
    const std::string client_id;
    /// Empty for a session whose queue is the connection's exclusive one.
    std::string queue;
    bool persistent = false;
    std::uint32_t expiry_seconds = 0;                        ///< 0xFFFFFFFF: never
    bool restored = false;                                   ///< queue found without a record, subscriptions unknown
    std::map<std::string, subscription_entry> subscriptions; ///< by the filter as subscribed
    std::set<std::uint16_t> inbound_qos2;                    ///< PUBREC sent, PUBREL not yet received
    std::set<std::uint16_t> outbound_qos2;                   ///< PUBREL sent, PUBCOMP not yet received
    /// Bumped by each connection that takes the session; an offline timer (session expiry,
    /// will delay) armed by an earlier connection does nothing when it no longer matches.
    std::uint64_t generation = 0;
    /// The timers armed when the last connection closed, and the shard they belong to (they
    /// may only be destroyed there).
    std::unique_ptr<sdk::timer> expiry_timer;
    std::unique_ptr<sdk::timer> will_timer;
    sdk::executor* timer_shard = nullptr;

    explicit session_state(std::string id)
      : client_id(std::move(id))
    {
    }
};

} // namespace plexus::protocol::mqtt
