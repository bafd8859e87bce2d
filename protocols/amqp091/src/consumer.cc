#include "consumer.h"

#include "channel.h"

namespace plexus::protocol::amqp091 {

consumer::consumer(std::weak_ptr<channel> ch, std::string tag_, std::string queue_, bool no_ack_)
  : tag(std::move(tag_))
  , queue(std::move(queue_))
  , no_ack(no_ack_)
  , _channel(std::move(ch))
{
}

// The subscription goes first (a member), so no delivery reaches a half-destroyed sink.
consumer::~consumer() = default;

void consumer::deliver(std::vector<sdk::delivery> batch) noexcept
{
    try {
        if (auto ch = _channel.lock()) {
            ch->deliver(*this, std::move(batch));
        }
    } catch (const std::exception&) {
        // Out of memory while framing: the channel is beyond help; the deliveries stay
        // unacked and return to the queue with the subscription.
    }
}

void consumer::cancelled(const sdk::status& why) noexcept
{
    try {
        if (auto ch = _channel.lock()) {
            ch->consumer_cancelled(*this, why);
        }
    } catch (const std::exception&) {
    }
}

void consumer::set_paused(bool paused)
{
    if (paused == _paused) {
        return;
    }
    _paused = paused;
    if (subscription) {
        subscription->pause(paused);
    }
}

void consumer::attach(std::unique_ptr<sdk::subscription> s)
{
    subscription = std::move(s);
    if (_paused && subscription) {
        subscription->pause(true);
    }
}

} // namespace plexus::protocol::amqp091
