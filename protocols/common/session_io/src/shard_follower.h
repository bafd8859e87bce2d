// A connection that only publishes follows the shard of the queues it feeds (docs/adr/0022),
// the same for every gateway whose sessions can move (AMQP 0-9-1, MQTT).
//
// A queue lives on its consumer's shard; a publisher accepted on the other shard hands every
// message to that shard's thread, one wake-up more per message. After a run of publishes all
// routed to queues of one other shard (publish_ack::home_shard), the follower stops reading
// and, once the session has nothing pending on this shard, asks the kernel to move the
// connection there. What ties a session to its shard for longer (consumers, transactions)
// keeps it where it is; what is pending for a moment (kernel answers, a posted flush) delays
// the move until it has run.
//
// The session says what it holds through hooks; the follower owns the decision and the
// retries. Threading: everything on the connection's shard; the retry timer finds out through
// `alive` whether the session still exists.
#pragma once

#include "plexus/sdk/executor.h"
#include "plexus/sdk/protocol.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

namespace plexus::protocol {

class shard_follower
{
  public:
    /// Publishes in a row to one other shard before a move: a connection that publishes to
    /// queues of both shards never moves, one that settled on a queue moves within a moment.
    static constexpr std::uint32_t publishes_before_move = 64;
    /// A slow publisher (a device sending once a second) moves after fewer, once its run has
    /// lasted this long: it is as settled, and would otherwise never move. The time is looked
    /// at every slow_publishes_before_move publishes of a run.
    static constexpr std::uint32_t slow_publishes_before_move = 4;
    static constexpr std::chrono::milliseconds slow_run{ 2000 };
    using clock = std::function<std::chrono::steady_clock::time_point()>;
    /// A connection moves at most this often in its life, so no pattern of publishes makes
    /// it bounce between shards for ever.
    static constexpr std::uint32_t max_moves = 4;

    struct hooks
    {
        /// The session is open for publishes (not connecting or closing).
        std::function<bool()> open;
        /// Nothing ties the session to this shard for longer (consumers, transactions,
        /// unsettled gets): it may follow its queues.
        std::function<bool()> can_follow;
        /// Nothing of the session is pending on this shard (kernel answers, posted work).
        std::function<bool()> idle_here;
        /// Drops what is bound to this shard (timers, alarm watches), just before the move.
        std::function<void()> detach;
        /// Re-arms it on the shard the session is on: after a move, or a refused one.
        std::function<void()> attach;
    };

    /// `enabled` false: published() never starts a move (the gateway's follow_queue_shard).
    /// `now` is steady_clock's unless a test gives another.
    shard_follower(sdk::connection& conn, std::shared_ptr<bool> alive, hooks h, bool enabled, clock now = {});

    /// A publish was routed; `home` is its publish_ack::home_shard.
    void published(std::optional<sdk::shard_id> home);
    /// A move is under way: the session handles no input until moved().
    bool moving() const noexcept { return _moving_to.has_value(); }
    /// From protocol_session::on_moved(), once the session uses the new shard's facade: the
    /// hooks re-arm and reading resumes (the kernel offers the input that waited).
    void moved();

  private:
    void begin(sdk::shard_id to);
    /// Moves now if the session is idle here, else tries again shortly.
    void try_move();
    /// Gives up the move under way and reads again, once attach() re-armed the session.
    void stay();

    sdk::connection& _conn;
    std::shared_ptr<bool> _alive;
    hooks _hooks;
    bool _enabled;
    clock _now;
    std::optional<sdk::shard_id> _candidate; ///< the other shard the last publishes went to
    std::uint32_t _streak = 0;               ///< publishes in a row routed there
    std::chrono::steady_clock::time_point _streak_began;
    std::optional<sdk::shard_id> _moving_to;
    std::unique_ptr<sdk::timer> _retry;
    std::uint32_t _moves = 0; ///< moves made and refused
};

} // namespace plexus::protocol
