// The consumer-group coordinator of one listener: membership, generations and the
// join / sync / heartbeat / leave protocol, with client-side assignment (the leader's
// assignor decides; the coordinator only relays the assignments). Committed offsets are not
// here: they live in the kernel (commit_offset / committed_offset).
//
// Rebalances start when a member joins, leaves or misses its session timeout; every member
// learns of it from its next Heartbeat (REBALANCE_IN_PROGRESS) and joins again. A rebalance
// completes when every member has rejoined, or at the rebalance timeout without the ones that
// did not (they are removed).
//
// Threading: a group's members may be connections on different shards, and the SDK has no
// cross-shard group primitive, so the coordinator is shared and takes a lock (one lock per
// listener; group traffic is a few requests per member per second). Answers that must wait
// (JoinGroup, SyncGroup) are posted to the waiting member's executor, never called under the
// lock. Time only moves when a member calls in: tick() runs first in every call, and a waiting
// member calls tick() from a timer of its own shard.
#pragma once

#include "plexus/sdk/callback.h"
#include "plexus/sdk/executor.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace plexus::protocol::kafka {

class group_coordinator
{
  public:
    using clock = std::chrono::steady_clock;
    using time_source = std::function<clock::time_point()>;

    /// `now` is the clock (tests pass their own to expire sessions without waiting).
    explicit group_coordinator(time_source now = &clock::now)
      : _now(std::move(now))
    {
    }

    struct join_request
    {
        std::string group;
        std::string member_id; ///< empty: a new member (the coordinator names it)
        std::string client_id;
        std::string client_host; ///< the member's address, for DescribeGroups
        std::string protocol_type;
        std::vector<std::pair<std::string, std::string>> protocols; ///< (assignor name, metadata)
        std::chrono::milliseconds session_timeout{ 10000 };
        std::chrono::milliseconds rebalance_timeout{ 10000 };
    };
    struct join_result
    {
        std::int16_t error = 0;
        std::int32_t generation = -1;
        std::string protocol_type;
        std::string protocol_name;
        std::string leader;
        std::string member_id;
        /// Every member and its metadata for the chosen protocol; only the leader gets them.
        std::vector<std::pair<std::string, std::string>> members;
    };
    struct sync_result
    {
        std::int16_t error = 0;
        std::string protocol_type;
        std::string protocol_name;
        std::string assignment;
    };

    /// `done` is posted to `exec` once the rebalance this join takes part in completes (or at
    /// once with an error).
    void join(join_request request, sdk::executor& exec, sdk::callback<void(join_result)> done);
    /// `assignments` (member id, assignment) come from the leader; others send none. `done` is
    /// posted to `exec` once the leader's assignments are in.
    void sync(const std::string& group,
              std::int32_t generation,
              const std::string& member_id,
              std::vector<std::pair<std::string, std::string>> assignments,
              sdk::executor& exec,
              sdk::callback<void(sync_result)> done);
    /// Kafka's error code for the heartbeat (0, UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION,
    /// REBALANCE_IN_PROGRESS).
    std::int16_t heartbeat(const std::string& group, std::int32_t generation, const std::string& member_id);
    std::int16_t leave(const std::string& group, const std::string& member_id);
    /// Whether an OffsetCommit from this member and generation may commit (generation -1: a
    /// consumer outside group management, always allowed).
    std::int16_t check_commit(const std::string& group, std::int32_t generation, const std::string& member_id);
    /// Expires members past their session timeout and completes rebalances past their deadline.
    void tick();

    /// What ListGroups and DescribeGroups show. `state` is Kafka's name for it ("Stable",
    /// "PreparingRebalance", "CompletingRebalance", "Empty"; "Dead" for an unknown group).
    struct member_description
    {
        std::string member_id;
        std::string client_id;
        std::string client_host;
        std::string metadata; ///< for the group's protocol
        std::string assignment;
    };
    struct group_description
    {
        std::string group_id;
        std::string state;
        std::string protocol_type;
        std::string protocol_name;
        std::vector<member_description> members;
    };
    std::vector<group_description> list();
    group_description describe(const std::string& group);

  private:
    struct member
    {
        std::string client_id;
        std::string client_host;
        std::vector<std::pair<std::string, std::string>> protocols;
        std::chrono::milliseconds session_timeout{ 10000 };
        std::chrono::milliseconds rebalance_timeout{ 10000 };
        clock::time_point last_seen;
        std::string assignment;
        sdk::executor* join_exec = nullptr;
        std::optional<sdk::callback<void(join_result)>> pending_join;
        sdk::executor* sync_exec = nullptr;
        std::optional<sdk::callback<void(sync_result)>> pending_sync;
    };
    enum class state : std::uint8_t
    {
        empty,
        preparing_rebalance,  ///< waiting for every member to JoinGroup
        completing_rebalance, ///< joined; waiting for the leader's SyncGroup
        stable,
    };
    struct group
    {
        state st = state::empty;
        std::int32_t generation = 0;
        std::string protocol_type;
        std::string protocol_name;
        std::string leader;
        std::map<std::string, member> members;
        clock::time_point rebalance_deadline;
    };

    void tick_locked(clock::time_point now);
    static group_description describe_locked(const std::string& id, const group& g);
    void start_rebalance(group& g, clock::time_point now);
    void try_complete_join(group& g, bool deadline_passed);
    void remove_member(group& g, const std::string& id, clock::time_point now);

    time_source _now;
    std::mutex _mutex;
    std::map<std::string, group> _groups;
    std::uint64_t _next_member = 0;
};

} // namespace plexus::protocol::kafka
