// A gateway session's side of its connection, the same for AMQP 0-9-1, MQTT and STOMP.
//
// - Input is handled in passes. What a pass writes goes out in one write when it ends, so a
//   burst of frames costs one gathered write, not one per answer.
// - Output made between passes (deliveries, kernel answers) goes out in one posted flush.
// - A close asked for during a pass waits for the pass to end: the frames before it are still
//   answered, in order, and the connection is never closed from inside a call that is still
//   using the session (the kernel destroys the session inside close()). From on_data the
//   close is its returned status; elsewhere the close is posted.
// - Input can be held (while the kernel checks a login or a vhost): what arrives meanwhile is
//   kept, up to a bound, and handled in order when it is released.
//
// Threading: everything on the connection's shard. Posted work finds out through `alive`
// whether the session still exists.
#pragma once

#include "plexus/sdk/buffer_chain.h"
#include "plexus/sdk/protocol.h"
#include "plexus/sdk/status.h"

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace plexus::protocol {

/// How much held input a session keeps before it closes the connection.
struct input_hold_limit
{
    std::size_t max_bytes = 0;
    /// The close reason when held input passes max_bytes.
    std::string refusal;
};

class session_io
{
  public:
    struct hooks
    {
        /// Handles the whole frames of `in` (consuming them) and leaves a partial tail. Stops
        /// early when holding() or close_requested() becomes true. A failed status closes.
        std::function<sdk::status(sdk::buffer_chain& in)> process;
        /// Writes what the session has queued; nothing when nothing is.
        std::function<void()> flush;
    };
    session_io(sdk::connection& conn, std::shared_ptr<bool> alive, hooks h, input_hold_limit limit = {});

    /// protocol_session::on_data: one pass over `in` (behind what is held, if anything is).
    /// Exceptions become an internal error naming `who`.
    sdk::status on_data(sdk::buffer_chain& in, std::string_view who) noexcept;

    /// Runs `work` as a pass of its own (work the kernel's answer released), unless a pass is
    /// under way: then false, and that pass must pick the work up before it ends.
    bool run_pass(const std::function<sdk::status()>& work);

    /// Starts or stops holding input. Releasing handles what was held, in a pass of its own.
    void hold(bool on);
    bool holding() const noexcept { return _hold; }
    /// For process(): when it stopped because holding began, keeps the rest of `in` (unless
    /// `in` is the held input itself) to handle after the release.
    void keep_if_holding(sdk::buffer_chain& in);

    /// Output was queued: flushed at the end of the pass, or by a posted flush between passes.
    void schedule_flush();
    /// Closes the connection: at the end of the pass under way, or (flushed first) posted.
    void close_transport(sdk::status why, bool flush_first = true);

    bool in_pass() const noexcept { return _in_pass; }
    /// A flush is posted to the shard and has not run yet.
    bool flush_posted() const noexcept { return _flush_posted; }
    bool close_requested() const noexcept { return _close_after_pass.has_value(); }

  private:
    /// Ends a pass: one write, then the pass's status (or the close it asked for).
    sdk::status end_pass(sdk::status st);

    sdk::connection& _conn;
    std::shared_ptr<bool> _alive;
    hooks _hooks;
    input_hold_limit _limit;
    bool _in_pass = false;
    bool _flush_posted = false;
    std::optional<sdk::status> _close_after_pass;
    bool _hold = false;
    sdk::buffer_chain _held;
};

} // namespace plexus::protocol
