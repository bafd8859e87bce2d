// executor: one shard's event loop as plugins see it. Every object a plugin gets from the
// kernel (a connection, a subscription, a log) belongs to one shard; work for it is posted to
// that shard's executor and runs there, one task at a time, so plugins need no locks for it.
#pragma once

#include "plexus/sdk/callback.h"
#include "plexus/sdk/strong_types.h"

#include <chrono>
#include <memory>

namespace plexus::sdk {

/// A cancellable one-shot timer. Destroying it cancels it.
class timer
{
  public:
    virtual ~timer() = default;
    /// Cancels the pending callback if it has not run yet. Idempotent.
    virtual void cancel() noexcept = 0;
};

class executor
{
  public:
    /// The shard this executor runs on.
    virtual shard_id id() const noexcept = 0;
    /// Runs `task` later on this shard. Safe to call from any thread.
    virtual void post(callback<void()> task) noexcept = 0;
    /// Runs `task` on this shard after `delay` unless the returned timer is cancelled or
    /// destroyed first. Call on this shard only.
    virtual std::unique_ptr<timer> post_after(std::chrono::milliseconds delay, callback<void()> task) noexcept = 0;
    /// True when the calling thread is this shard's thread.
    virtual bool is_current() const noexcept = 0;

  protected:
    ~executor() = default; // owned by the kernel; plugins never delete it
};

/// Runs blocking work (fsync, RocksDB) away from the shards. Completions are posted back by
/// the caller to its own shard.
class blocking_pool
{
  public:
    virtual void submit(callback<void()> work) noexcept = 0;

  protected:
    ~blocking_pool() = default;
};

} // namespace plexus::sdk
