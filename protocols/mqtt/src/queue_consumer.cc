#include "queue_consumer.h"

#include "session.h"

namespace plexus::protocol::mqtt {

queue_consumer::queue_consumer(session& s, std::shared_ptr<bool> alive, std::string queue_, std::string shared_key_)
  : queue(std::move(queue_))
  , shared_key(std::move(shared_key_))
  , _session(s)
  , _alive(std::move(alive))
{
}

queue_consumer::~queue_consumer() = default;

void queue_consumer::deliver(std::vector<sdk::delivery> batch) noexcept
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

void queue_consumer::cancelled(const sdk::status& why) noexcept
{
    try {
        if (*_alive) {
            _session.consumer_cancelled(*this, why);
        }
    } catch (const std::exception&) {
    }
}

void queue_consumer::attach(std::unique_ptr<sdk::subscription> s)
{
    subscription = std::move(s);
    for (auto tag : _early_acks) {
        subscription->ack(tag, false);
    }
    _early_acks.clear();
    if (_paused) {
        subscription->pause(true);
    }
}

void queue_consumer::ack(std::uint64_t tag)
{
    if (subscription) {
        subscription->ack(tag, false);
    } else {
        _early_acks.push_back(tag);
    }
}

void queue_consumer::set_paused(bool paused)
{
    if (paused != _paused && subscription) {
        subscription->pause(paused);
    }
    _paused = paused;
}

} // namespace plexus::protocol::mqtt
