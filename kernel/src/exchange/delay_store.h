// Delayed messages of one x-delayed-message exchange (RabbitMQ's delayed-message plugin): a
// message published with an `x-delay` header of N > 0 ms is kept here and routed by the
// exchange N ms later.
//
// Messages are appended to an engine log (with their due time in a header), so a durable
// exchange's delays survive a restart; the log is read back when the store starts. Released
// messages are settled in an ack tracker that lets the log be trimmed, and the settled set is
// saved in the engine's metadata like a durable queue's acks. What is waiting is also held in
// memory, ordered by due time (as the plugin holds it in Mnesia).
//
// Threading: owned by one shard; every method runs there.
#pragma once

#include "kernel/src/queue/ack_tracker.h"
#include "kernel/src/queue/queue.h"
#include "plexus/sdk/executor.h"
#include "plexus/sdk/storage.h"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace plexus::kernel {

/// The delay a publish asks for: the `x-delay` header when it is an integer above 0.
std::optional<std::int64_t> requested_delay(const sdk::message& msg) noexcept;

class delay_store : public std::enable_shared_from_this<delay_store>
{
  public:
    /// `release` publishes a due message again, through the exchange (its x-delay is then
    /// negative, as the plugin delivers it, so it is routed at once).
    delay_store(std::unique_ptr<sdk::log> log,
                sdk::executor& exec,
                sdk::kv_store* cursors,
                std::string cursor_key,
                std::function<void(sdk::message_ptr)> release);
    ~delay_store();
    delay_store(const delay_store&) = delete;
    delay_store& operator=(const delay_store&) = delete;

    /// Reads back what the log holds (after a restart) and arms the timer.
    void start();
    /// Keeps `msg` for `delay_ms`; `done` gets the level reached (durable after a flush).
    void hold(sdk::message_ptr msg, std::int64_t delay_ms, sdk::ack_level level, append_done done);
    /// Stops releasing; the log is closed when the store is destroyed.
    void shutdown();
    std::size_t waiting() const noexcept { return _due.size(); }

  private:
    struct held
    {
        sdk::offset position;
        sdk::message_ptr msg;
    };
    void read_back(sdk::offset from);
    void arm();
    void release_due();
    void save_cursor();

    std::unique_ptr<sdk::log> _log;
    sdk::executor& _exec;
    sdk::kv_store* _cursors;
    std::string _cursor_key;
    std::function<void(sdk::message_ptr)> _release;
    ack_tracker _acks;
    std::multimap<std::int64_t, held> _due; ///< due time (ms since the epoch) → message
    std::unique_ptr<sdk::timer> _timer;
    std::int64_t _timer_at = 0;
    std::uint64_t _saved_version = 0;
    bool _shut_down = false;
};

} // namespace plexus::kernel
