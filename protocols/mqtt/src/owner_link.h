// The registry's handle on a live session (session_registry.h's session_owner), which can
// follow the session when its connection moves to another shard (docs/adr/0022).
//
// A takeover is posted to the shard the registry last knew. If the session has moved since,
// the link forwards the call to the shard it is on now; while the connection is in transit
// (between move_to() and on_moved()) no shard may touch the session, so the takeover waits in
// the link and the session picks it up when it arrives (arrive()).
//
// Threading: taken_over() runs on any shard; the session is called only on its own shard.
// The link's small mutex orders a takeover against the session leaving and arriving.
#pragma once

#include "session_registry.h"
#include "plexus/sdk/executor.h"

#include <functional>
#include <memory>
#include <mutex>

namespace plexus::protocol::mqtt {

class owner_link final
  : public session_owner
  , public std::enable_shared_from_this<owner_link>
{
  public:
    /// `take_over` closes the session as taken over; called on the session's shard while
    /// `alive` holds.
    owner_link(std::function<void()> take_over, std::shared_ptr<bool> alive, sdk::executor& home);

    void taken_over(sdk::executor& on) noexcept override;

    /// The connection is about to move: takeovers wait until arrive(). On the old shard.
    void leave();
    /// The session is on `home` now (a new shard, or the old one after a refused move).
    /// Returns whether a takeover came meanwhile: the session closes as taken over. On `home`.
    bool arrive(sdk::executor& home);

  private:
    std::function<void()> _take_over;
    std::shared_ptr<bool> _alive;
    std::mutex _mutex;
    sdk::executor* _home; ///< nullptr while the connection is in transit
    bool _kicked = false; ///< a takeover came in transit
};

} // namespace plexus::protocol::mqtt
