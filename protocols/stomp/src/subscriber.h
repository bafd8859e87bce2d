// One SUBSCRIBE: the kernel's subscription on the queue the destination resolved to, and the
// sink its deliveries arrive at.
//
// Lifecycle: subscribing (the kernel has not answered; deliveries that come meanwhile wait in
// `early`) → active → gone (UNSUBSCRIBE, the kernel's cancel, or the connection closing).
// Destroying it ends the kernel subscription, which requeues what was delivered and not acked.
//
// Threading: the connection's shard. deliver() and cancelled() reach the session only while
// it exists (`alive`).
#pragma once

#include "plexus/sdk/kernel.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace plexus::protocol::stomp {

class session;

enum class ack_mode : std::uint8_t
{
    auto_ack,          ///< "auto": delivered = acked
    client,            ///< cumulative: an ACK covers every earlier MESSAGE of the subscription
    client_individual, ///< an ACK covers its MESSAGE only
};

class subscriber final
  : public sdk::delivery_sink
  , public std::enable_shared_from_this<subscriber>
{
  public:
    subscriber(session& s, std::shared_ptr<bool> alive, std::string id, std::string destination, ack_mode mode);
    ~subscriber();

    void deliver(std::vector<sdk::delivery> batch) noexcept override;
    void cancelled(const sdk::status& why) noexcept override;
    void set_paused(bool paused);

    const std::string id;
    const std::string destination; ///< as the SUBSCRIBE named it
    const ack_mode mode;
    std::string queue;                         ///< what the destination resolved to
    bool durable_topic = false;                ///< its queue outlives the subscription
    bool active = false;                       ///< the kernel answered the subscribe
    std::vector<sdk::delivery> early;          ///< arrived before the answer
    std::unique_ptr<sdk::subscription> handle; // last: ends first, before the sink goes

  private:
    session& _session;
    std::shared_ptr<bool> _alive;
    bool _paused = false;
};

} // namespace plexus::protocol::stomp
