// A connection that only publishes follows the shard of the queues it feeds (docs/adr/0022,
// protocols/common/session_io's shard_follower): what an AMQP session tells the follower.
//
// Consumers, transactions, outstanding definition calls, unsettled gets and posted confirms
// or flushes keep a connection where it is: their answers come to this shard.
#include "channel.h"
#include "session.h"

namespace plexus::protocol::amqp091 {

void session::published_home(std::optional<sdk::shard_id> home)
{
    _follower.published(home);
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

void session::on_moved(sdk::kernel& k) noexcept
{
    _kernel = &k;
    for (auto& [number, ch] : _channels) {
        ch->rebind(k);
    }
    _follower.moved();
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
