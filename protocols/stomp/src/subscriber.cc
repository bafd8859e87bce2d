#include "subscriber.h"

#include "session.h"

namespace plexus::protocol::stomp {

subscriber::subscriber(session& s, std::shared_ptr<bool> alive, std::string id_, std::string destination_, ack_mode m)
  : id(std::move(id_))
  , destination(std::move(destination_))
  , mode(m)
  , _session(s)
  , _alive(std::move(alive))
{
}

subscriber::~subscriber() = default;

void subscriber::deliver(std::vector<sdk::delivery> batch) noexcept
{
    try {
        if (*_alive) {
            _session.deliver(*this, std::move(batch));
        }
    } catch (const std::exception&) {
        // Out of memory while framing: the deliveries stay unacked and return to the queue
        // with the subscription.
    }
}

void subscriber::cancelled(const sdk::status& why) noexcept
{
    try {
        if (*_alive) {
            _session.subscription_cancelled(*this, why);
        }
    } catch (const std::exception&) {
    }
}

void subscriber::set_paused(bool paused)
{
    if (paused == _paused) {
        return;
    }
    _paused = paused;
    if (handle) {
        handle->pause(paused);
    }
}

} // namespace plexus::protocol::stomp
