// Test doubles for code that runs storage engines outside the kernel: a real blocking pool
// with one worker thread, a logger that keeps every line, and a fresh temporary directory.
#pragma once

#include "plexus/sdk/executor.h"
#include "plexus/sdk/log.h"
#include "plexus/sdk/message.h"
#include "plexus/sdk/result.h"

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace plexus::test {

/// Keeps every line the engine logs (tests may print them on failure, or look for one).
class capturing_logger final : public sdk::logger
{
  public:
    bool enabled(sdk::log_level) const noexcept override { return true; }
    void write(sdk::log_level level, std::string_view text) noexcept override;
    std::vector<std::string> lines() const;

  private:
    mutable std::mutex _mutex;
    std::vector<std::string> _lines;
};

/// A new empty directory under the system temp dir, named after `purpose`.
std::filesystem::path make_temp_dir(const std::string& purpose);

/// Every record from `from` to the end of a log, in 64 KiB reads through `read(from, max_bytes)`
/// (a blocking read returning sdk::result<sdk::record_batch>). A read that does not start where
/// the last one ended fails with errc::internal naming both offsets (a broken contract: logs
/// hand out dense offsets).
template<class Read>
sdk::result<sdk::record_batch> read_to_end(Read read, sdk::offset from)
{
    sdk::record_batch all;
    all.base_offset = from;
    for (;;) {
        sdk::result<sdk::record_batch> r = read(from, std::size_t{ 64 * 1024 });
        if (!r) {
            return r;
        }
        if (r->empty()) {
            return all;
        }
        if (r->base_offset != from) {
            return sdk::status(sdk::errc::internal,
                               "a read from " + std::to_string(from()) + " began at " +
                                 std::to_string(r->base_offset()));
        }
        from = r->last_offset() + 1;
        for (auto& m : r->records) {
            all.records.push_back(std::move(m));
        }
    }
}

} // namespace plexus::test
