// A connection that only publishes follows the shard of the queues it feeds (docs/adr/0022).
//
// The queue lives on its consumer's shard; a publisher accepted on the other shard hands every
// message to that shard's thread, one wake-up more per message. After a run of publishes all
// routed to queues of one other shard, the session stops handling input and, once nothing of
// its own is pending on this shard, asks the kernel to move the connection there. Consumers,
// transactions, outstanding definition calls, unsettled gets and posted confirms or flushes
// keep a connection where it is: their answers come to this shard.
#include "channel.h"
#include "session.h"

namespace plexus::protocol::amqp091 {
namespace {

/// Publishes in a row to one other shard before a move: a connection that publishes to
/// queues of both shards never moves, one that settled on a queue moves within a moment.
constexpr std::uint32_t publishes_before_move = 64;
/// A connection moves at most this often in its life, so no pattern of publishes makes it
/// bounce between shards for ever.
constexpr std::uint32_t max_moves = 4;
/// How soon a move waiting for pending work tries again.
constexpr std::chrono::milliseconds move_retry{ 1 };

} // namespace

void session::published_home(std::optional<sdk::shard_id> home)
{
    if (_moving_to || !_config.follow_queue_shard || _moves >= max_moves || _state != state::open) {
        return;
    }
    if (!home || *home == _conn.exec().id()) {
        _home_streak = 0;
        return;
    }
    if (_home_candidate != home) {
        _home_candidate = home;
        _home_streak = 0;
    }
    if (++_home_streak >= publishes_before_move && can_follow()) {
        begin_move(*home);
    }
}

bool session::can_follow() const
{
    for (const auto& [number, ch] : _channels) {
        if (ch->holds_shard_state()) {
            return false;
        }
    }
    return true;
}

bool session::idle_here() const
{
    if (_io.flush_posted() || _io.in_pass()) {
        return false;
    }
    for (const auto& [number, ch] : _channels) {
        if (ch->has_pending()) {
            return false;
        }
    }
    return true;
}

void session::begin_move(sdk::shard_id to)
{
    _moving_to = to;
    _conn.pause_reading(); // what the client sends meanwhile waits in the socket
    try_move();
}

void session::try_move()
{
    if (!_moving_to || _state != state::open) {
        _moving_to.reset(); // closing: the connection ends here
        return;
    }
    if (!can_follow()) {
        // A consumer came after all (say, from input handled before the pause): stay.
        _moving_to.reset();
        _conn.resume_reading(); // the input that waited is offered with the next read
        return;
    }
    // Publishes already sent still answer here, and a posted flush or confirm runs here.
    if (!idle_here()) {
        _move_retry = _conn.exec().post_after(move_retry, [this, alive = _alive] {
            if (*alive) {
                try_move();
            }
        });
        return;
    }
    // Nothing bound to this shard may outlive the move.
    _move_retry.reset();
    _heartbeat_timer.reset();
    _alarm_watch.reset();
    if (!_conn.move_to(*_moving_to)) {
        // Refused (the shard is gone, say): stay, and handle the input that waited.
        _moving_to.reset();
        watch_alarms();
        start_heartbeats();
        _conn.resume_reading();
        return;
    }
    ++_moves;
}

void session::on_moved(sdk::kernel& k) noexcept
{
    _kernel = &k;
    for (auto& [number, ch] : _channels) {
        ch->rebind(k);
    }
    _moving_to.reset();
    _home_candidate.reset();
    _home_streak = 0;
    watch_alarms();
    start_heartbeats();
    _conn.resume_reading(); // the kernel offers the input that waited, then reads on
}

bool channel::holds_shard_state() const noexcept
{
    return !_consumers.empty() || !_draining.empty() || !_held.empty() || _transactional || _ledger.size() > 0;
}

bool channel::has_pending() const noexcept
{
    return _busy || !_waiting.empty() || _publishes_in_flight > 0 || _confirms_posted;
}

} // namespace plexus::protocol::amqp091
