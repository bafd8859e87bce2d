#include "shard_follower.h"

#include <chrono>

namespace plexus::protocol {
namespace {

/// How soon a move waiting for pending work tries again.
constexpr std::chrono::milliseconds move_retry{ 1 };

} // namespace

shard_follower::shard_follower(sdk::connection& conn, std::shared_ptr<bool> alive, hooks h, bool enabled, clock now)
  : _conn(conn)
  , _alive(std::move(alive))
  , _hooks(std::move(h))
  , _enabled(enabled)
  , _now(now ? std::move(now) : clock([] { return std::chrono::steady_clock::now(); }))
{
}

void shard_follower::published(std::optional<sdk::shard_id> home)
{
    if (_moving_to || !_enabled || _moves >= max_moves || !_hooks.open()) {
        return;
    }
    if (!home || *home == _conn.exec().id()) {
        _streak = 0;
        return;
    }
    if (_candidate != home || _streak == 0) {
        _candidate = home;
        _streak = 0;
        _streak_began = _now();
    }
    ++_streak;
    // The clock is read every few publishes of a run, not on each.
    const bool settled = _streak >= publishes_before_move ||
                         (_streak % slow_publishes_before_move == 0 && _now() - _streak_began >= slow_run);
    if (!settled) {
        return;
    }
    if (_hooks.can_follow()) {
        begin(*home);
    } else {
        _streak = 0; // asked again after another run, not at every publish
    }
}

void shard_follower::begin(sdk::shard_id to)
{
    _moving_to = to;
    _conn.pause_reading(); // what the client sends meanwhile waits in the socket
    try_move();
}

void shard_follower::try_move()
{
    if (!_hooks.open()) {
        _moving_to.reset(); // closing: the connection ends here
        return;
    }
    if (!_hooks.can_follow()) {
        // A consumer came after all (say, from input handled before the pause): stay.
        _moving_to.reset();
        _conn.resume_reading(); // the input that waited is offered with the next read
        return;
    }
    // Publishes already sent still answer here, and a posted flush runs here.
    if (!_hooks.idle_here()) {
        _retry = _conn.exec().post_after(move_retry, [this, alive = _alive] {
            if (*alive) {
                try_move();
            }
        });
        return;
    }
    // Nothing bound to this shard may outlive the move.
    _retry.reset();
    _hooks.detach();
    ++_moves;
    if (!_conn.move_to(*_moving_to)) {
        // Refused: the shard is gone, or the connection cannot move (WebSocket). Counted, so
        // a connection that cannot move stops trying.
        _moves = max_moves;
        stay();
    }
}

void shard_follower::stay()
{
    _moving_to.reset();
    _hooks.attach();
    if (_hooks.open()) {
        _conn.resume_reading();
    }
}

void shard_follower::moved()
{
    _candidate.reset();
    _streak = 0;
    stay(); // the kernel offers the input that waited, then reads on
}

} // namespace plexus::protocol
