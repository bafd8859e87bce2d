// What the file engine's unit tests share: an engine over a temporary directory whose blocking
// work runs inline (so a sync's completion is queued on the fake shard at once and the test
// decides when it lands), a capturing logger, and helpers that drive completions to the end.
#pragma once

#include "file_engine.h"
#include "plexus/sdk/testing/fake_executor.h"
#include "support/storage_doubles.h"

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace plexus::test::file {

/// Runs blocking work on the calling thread, counting the jobs.
class inline_blocking_pool final : public sdk::blocking_pool
{
  public:
    void submit(sdk::callback<void()> work) noexcept override
    {
        ++submitted;
        work();
    }
    int submitted = 0;
};

class file_harness
{
  public:
    explicit file_harness(std::string config_json = "{}");
    ~file_harness();

    /// (Re)creates the engine over the same directory with `config_json`.
    sdk::status start(std::string config_json);
    void stop();
    storage::file::file_engine& engine() { return *_engine; }

    std::unique_ptr<sdk::log> open(const std::string& name);
    /// As above, with the rest of the spec (the owner is set to the fake shard).
    std::unique_ptr<sdk::log> open(sdk::log_spec spec);
    sdk::result<sdk::record_batch> read(sdk::log& log, sdk::offset from, std::size_t max_bytes = 1 << 20);
    /// Every record from `from` to the end, following gaps.
    sdk::result<std::vector<std::string>> read_bodies(sdk::log& log, sdk::offset from);
    sdk::result<sdk::offset> flush(sdk::log& log);

    /// The directory of a log, and its segment files in offset order.
    std::filesystem::path log_dir(const std::string& name) const;
    std::vector<std::filesystem::path> segments(const std::string& name) const;
    /// True when some logged line contains `part`.
    bool logged(std::string_view part) const;
    std::string log_text() const;

    const std::filesystem::path dir;
    sdk::testing::fake_executor shard;
    inline_blocking_pool pool;
    capturing_logger logger;
    storage::file::io_hooks hooks;

  private:
    std::unique_ptr<storage::file::file_engine> _engine;
};

sdk::record_batch batch_of(int n, const std::string& prefix = "m", int first = 0, std::int64_t timestamp = 0);
/// `n` messages for append_at() at `base` (bodies prefix + offset).
sdk::record_batch batch_at(std::int64_t base, int n, const std::string& prefix = "m");
std::vector<std::string> bodies_of(int first, int n, const std::string& prefix = "m");

/// A copy of a data directory as a crash leaves it while a log is open (what the page cache
/// held, as after kill -9: no saved index for the active segment), without the lock file.
void copy_tree(const std::filesystem::path& from, const std::filesystem::path& to);
/// Appends raw bytes to a file (a torn write, garbage).
void append_bytes(const std::filesystem::path& file, const std::string& bytes);

} // namespace plexus::test::file
