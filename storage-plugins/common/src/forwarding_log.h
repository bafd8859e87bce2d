// The sdk::log handle an engine hands out: every call forwards to the engine's shared log core,
// which outlives the handle while its background work (syncs, reads) finishes. Engines derive
// from it only to say what closing the handle does.
#pragma once

#include "plexus/sdk/storage.h"

#include <memory>
#include <utility>

namespace plexus::storage {

template<class Core>
class forwarding_log : public sdk::log
{
  public:
    explicit forwarding_log(std::shared_ptr<Core> core) noexcept
      : _core(std::move(core))
    {
    }
    forwarding_log(const forwarding_log&) = delete;
    forwarding_log& operator=(const forwarding_log&) = delete;

    sdk::result<sdk::offset_range> append(sdk::record_batch batch) noexcept override
    {
        return _core->append(std::move(batch));
    }
    sdk::result<sdk::offset_range> append_at(sdk::record_batch batch) noexcept override
    {
        return _core->append_at(std::move(batch));
    }
    void flush(sdk::callback<void(sdk::result<sdk::offset>)> done) noexcept override { _core->flush(std::move(done)); }
    void read(sdk::offset from,
              std::size_t max_bytes,
              sdk::callback<void(sdk::result<sdk::record_batch>)> done) noexcept override
    {
        _core->read(from, max_bytes, std::move(done));
    }
    void offset_for_timestamp(sdk::timestamp_ms ts,
                              sdk::callback<void(sdk::result<sdk::offset>)> done) noexcept override
    {
        _core->offset_for_timestamp(ts, std::move(done));
    }
    sdk::status truncate_prefix(sdk::offset new_start) noexcept override { return _core->truncate_prefix(new_start); }
    sdk::log_offsets offsets() const noexcept override { return _core->offsets(); }
    std::uint64_t size_bytes() const noexcept override { return _core->size_bytes(); }

  protected:
    std::shared_ptr<Core> _core;
};

} // namespace plexus::storage
