// Shards: one Boost.Asio io_context and one thread each (shared-nothing; ARCHITECTURE.md §5).
// Everything a queue, a stream partition or a connection owns is touched only on its shard;
// other shards post work to it and get their answers posted back.
//
// Lifecycle: constructed stopped → start() spawns the threads → stop() lets queued work run
// out and joins. Thread-safe: post() from anywhere; the rest from the owning (main) thread.
#pragma once

#include "plexus/sdk/executor.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <memory>
#include <optional>
#include <thread>
#include <vector>

namespace plexus::kernel {

class shard_set;

/// A shard's executor as the SDK sees it.
class shard_executor final : public sdk::executor
{
  public:
    shard_executor(boost::asio::io_context& ctx, sdk::shard_id id) noexcept
      : _ctx(ctx)
      , _id(id)
    {
    }
    sdk::shard_id id() const noexcept override { return _id; }
    void post(sdk::callback<void()> task) noexcept override;
    std::unique_ptr<sdk::timer> post_after(std::chrono::milliseconds delay,
                                           sdk::callback<void()> task) noexcept override;
    bool is_current() const noexcept override;
    boost::asio::io_context& context() noexcept { return _ctx; }

  private:
    boost::asio::io_context& _ctx;
    sdk::shard_id _id;
};

class shard_set
{
  public:
    /// `count` == 0 means one shard per core.
    explicit shard_set(unsigned count);
    ~shard_set();
    shard_set(const shard_set&) = delete;
    shard_set& operator=(const shard_set&) = delete;

    unsigned size() const noexcept { return static_cast<unsigned>(_shards.size()); }
    shard_executor& at(unsigned index) noexcept { return _shards[index]->exec; }
    boost::asio::io_context& context(unsigned index) noexcept { return _shards[index]->ctx; }

    void start();
    /// Drops the work guards and joins: each shard finishes what is queued, then its thread ends.
    void stop();
    bool running() const noexcept { return _running; }

  private:
    struct shard
    {
        explicit shard(unsigned index)
          : ctx(1)
          , exec(ctx, sdk::shard_id(index))
        {
        }
        boost::asio::io_context ctx;
        shard_executor exec;
        std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guard;
        std::thread thread;
    };
    std::vector<std::unique_ptr<shard>> _shards;
    bool _running = false;
};

} // namespace plexus::kernel
