// One kernel subscription of a session: to the session's own queue (every non-shared
// subscription routes there) or to the queue of one shared subscription. Deliveries and the
// kernel's cancel go to the session while it exists.
//
// Lifecycle: held by the session and by the subscribe callback until the kernel answers
// (the sink must outlive the subscription); destroying it destroys the subscription, which
// requeues what was delivered and not acked.
#pragma once

#include "plexus/sdk/kernel.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace plexus::protocol::mqtt {

class session;

class queue_consumer final
  : public sdk::delivery_sink
  , public std::enable_shared_from_this<queue_consumer>
{
  public:
    queue_consumer(session& s, std::shared_ptr<bool> alive, std::string queue, std::string shared_key);
    ~queue_consumer();

    void deliver(std::vector<sdk::delivery> batch) noexcept override;
    void cancelled(const sdk::status& why) noexcept override;

    /// The kernel's answer to subscribe(): acks and a pause asked for before it arrived
    /// (deliveries may come first) are applied now.
    void attach(std::unique_ptr<sdk::subscription> s);
    void ack(std::uint64_t tag);
    void set_paused(bool paused);

    const std::string queue;
    /// The session's subscription key ("$share/g/f") for a shared queue; empty for the
    /// session's own queue.
    const std::string shared_key;
    std::unique_ptr<sdk::subscription> subscription;

  private:
    session& _session;
    std::shared_ptr<bool> _alive;
    bool _paused = false;
    std::vector<std::uint64_t> _early_acks;
};

} // namespace plexus::protocol::mqtt
