// A session that only publishes follows its subscribers' shard (docs/adr/0022,
// protocols/common/session_io's shard_follower): what an MQTT session tells the follower.
//
// A subscription keeps a session where it is: its queue, its consumers and the kernel calls
// of SUBSCRIBE and UNSUBSCRIBE belong to this shard. Publishes whose route or confirm is
// still to come, and a posted flush, delay a move until they have run. The keep-alive timer
// goes with the session, and the registry's link follows it (owner_link.h), so a takeover
// finds the session on whichever shard it is.
#include "owner_link.h"
#include "session.h"

namespace plexus::protocol::mqtt {

bool session::can_follow() const
{
    // Deliveries in flight or waiting, shared consumers and queue declarations all come from a
    // subscription, or from a resumed session's own queue.
    return !_consumes && !_own;
}

bool session::idle_here() const
{
    return !_io.flush_posted() && !_io.in_pass() && _acks.empty() && _qos0_unanswered == 0;
}

void session::leave_shard()
{
    _keep_alive_timer.reset();
    _owner->leave();
}

void session::arrive_on_shard()
{
    if (_owner->arrive(_conn.exec())) {
        taken_over(); // a new connection took the client id while this one was in transit
        return;
    }
    start_keep_alive();
}

void session::on_moved(sdk::kernel& k) noexcept
{
    _kernel = &k;
    try {
        _follower.moved();
    } catch (const std::exception& e) {
        PLEXUS_LOG(_log, error, "client '{}': after a move: {}", _client_id, e.what());
    }
}

} // namespace plexus::protocol::mqtt
