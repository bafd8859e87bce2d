// The producer ids InitProducerId hands out, never one twice: without a store they count up
// from a seed; with one (producer_sequences::attach) they are reserved there in blocks, and
// an id is handed out only once the block holding it is durable, so a restart continues after
// every id any earlier run could have handed out.
//
// Threading: any shard calls next(); a reservation's completion arrives on a thread of the
// store's, so the object is shared with it (std::enable_shared_from_this) and takes a lock,
// never held while calling the store or a caller's callback.
#pragma once

#include "plexus/sdk/callback.h"
#include "plexus/sdk/result.h"
#include "plexus/sdk/storage.h"

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>

namespace plexus::protocol::kafka {

class producer_ids : public std::enable_shared_from_this<producer_ids>
{
  public:
    static constexpr std::int64_t block = 1000; ///< ids reserved per store write

    explicit producer_ids(std::int64_t first_id) noexcept
      : _next(first_id)
    {
    }

    /// Reserves from now on in `store` under `key`, continuing after what it holds (or after
    /// what was handed out already, whichever is higher).
    void attach(sdk::kv_store& store, std::string key, std::int64_t stored_next);

    /// An id, before this returns or on a store thread once its block is reserved.
    void next(sdk::callback<void(sdk::result<std::int64_t>)> done);

  private:
    /// Writes the next block's end; called with `_reserving` just set, without the lock.
    void reserve(std::int64_t until);
    void reserved(std::int64_t until, const sdk::status& st);

    std::mutex _mutex;
    std::int64_t _next;
    std::int64_t _reserved = 0; ///< ids below this are durable to hand out (with a store)
    bool _reserving = false;
    std::deque<sdk::callback<void(sdk::result<std::int64_t>)>> _waiting;
    sdk::kv_store* _store = nullptr;
    std::string _key;
};

} // namespace plexus::protocol::kafka
