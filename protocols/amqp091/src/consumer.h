// One basic.consume: the kernel's subscription and the sink its deliveries arrive at.
//
// Lifecycle: subscribing (the kernel has not answered; deliveries that arrive meanwhile wait
// in `early` so that consume-ok goes out first) → active → gone (basic.cancel, the kernel's
// cancel, or the channel closing). A consumer cancelled by the client while deliveries are
// unacked stays paused with its subscription until they are settled, because destroying a
// subscription requeues what it delivered and the client may still ack those.
//
// Threading: the channel's shard. The kernel calls deliver() and cancelled() there, never
// inline; they go to the channel while it exists.
#pragma once

#include "plexus/sdk/kernel.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace plexus::protocol::amqp091 {

class channel;

class consumer final
  : public sdk::delivery_sink
  , public std::enable_shared_from_this<consumer>
{
  public:
    enum class state : std::uint8_t
    {
        subscribing,
        active,
        cancelled, // by the client, waiting for its unacked deliveries to be settled
    };

    consumer(std::weak_ptr<channel> ch, std::string tag, std::string queue, bool no_ack);
    ~consumer();

    void deliver(std::vector<sdk::delivery> batch) noexcept override;
    void cancelled(const sdk::status& why) noexcept override;

    /// Pauses or resumes the subscription; remembered while subscribing.
    void set_paused(bool paused);
    /// The kernel's answer to the subscribe: paused at once if a pause came meanwhile.
    void attach(std::unique_ptr<sdk::subscription> s);

    const std::string tag;
    const std::string queue;
    const bool no_ack;
    state phase = state::subscribing;
    std::unique_ptr<sdk::subscription> subscription;
    std::vector<sdk::delivery> early;
    std::uint64_t unacked = 0; ///< deliveries the channel's ledger still holds

  private:
    std::weak_ptr<channel> _channel;
    bool _paused = false;
};

} // namespace plexus::protocol::amqp091
