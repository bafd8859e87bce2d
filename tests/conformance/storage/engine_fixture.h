// The storage conformance fixture: loads the engine named by $PLEXUS_STORAGE_ENGINE from
// $PLEXUS_PLUGIN_DIR through the real plugin loader, creates it over a fresh temporary data
// directory, and drives its asynchronous completions to the end with a deadline.
//
// The owner shard of every log is a fake_executor that the test thread drains; blocking work
// goes to a one-thread pool. A completion may therefore run inline, on the pool's thread, or
// on the fake shard: the helpers accept all three and check that it runs exactly once.
#pragma once

#include "kernel/src/plugin/loader.h"
#include "plexus/sdk/plugin.h"
#include "plexus/sdk/testing/fake_executor.h"
#include "plexus/sdk/testing/thread_pool.h"
#include "support/storage_doubles.h"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace plexus::test::storage {

/// Where a completion lands: set once from any thread, awaited by the test thread.
template<class T>
class completion_slot
{
  public:
    void set(T v)
    {
        std::lock_guard lock(_mutex);
        ++_calls;
        if (!_value) {
            _value.emplace(std::move(v));
        }
        _cv.notify_all();
    }
    bool ready() const
    {
        std::lock_guard lock(_mutex);
        return _value.has_value();
    }
    int calls() const
    {
        std::lock_guard lock(_mutex);
        return _calls;
    }
    void wait_a_little()
    {
        std::unique_lock lock(_mutex);
        _cv.wait_for(lock, std::chrono::milliseconds(1), [this] { return _value.has_value(); });
    }
    T take()
    {
        std::lock_guard lock(_mutex);
        return std::move(*_value);
    }

  private:
    mutable std::mutex _mutex;
    std::condition_variable _cv;
    std::optional<T> _value;
    int _calls = 0;
};

/// A message with the given body fragments, timestamp and routing key.
sdk::message_ptr make_message(const std::vector<std::string>& fragments,
                              std::int64_t ts = 0,
                              std::string routing_key = "k");
/// `n` one-fragment messages with bodies "<prefix><i>" for i in [first, first + n).
sdk::record_batch batch_of(int n, const std::string& prefix = "m", int first = 0, std::int64_t ts = 0);
/// The bodies of a batch, as strings.
std::vector<std::string> bodies(const sdk::record_batch& b);

class engine_fixture
{
  public:
    /// `config_json` is the engine's config section, used for every engine the fixture creates.
    explicit engine_fixture(std::string config_json = "{}");
    ~engine_fixture();
    engine_fixture(const engine_fixture&) = delete;
    engine_fixture& operator=(const engine_fixture&) = delete;

    /// The engine the tests run against: $PLEXUS_STORAGE_ENGINE, `memory` when unset.
    static std::string engine_under_test();

    const std::string& engine_name() const noexcept { return _engine_name; }
    /// Where the engine's plugin was loaded from (for a child process that loads it too).
    const std::string& plugin_dir() const noexcept { return _plugin_dir; }
    const std::string& config_json() const noexcept { return _config_json; }
    const std::filesystem::path& data_dir() const noexcept { return _data_dir; }
    sdk::storage_factory& factory() noexcept { return *_factory; }
    sdk::storage_engine& engine() noexcept { return *_engine; }
    sdk::testing::fake_executor& shard() noexcept { return _shard; }
    /// What every engine the fixture created has logged.
    const test::capturing_logger& logger() const noexcept { return _logger; }

    /// Creates an engine of the loaded plugin over this fixture's data directory (for config
    /// checks); the fixture's own engine is untouched.
    sdk::result<std::unique_ptr<sdk::storage_engine>> create_engine(std::string_view config_json);
    /// close()s and destroys the engine, then creates a new one over the same data directory:
    /// a restart. Every log handle must have been destroyed.
    void restart_engine();
    /// The two halves of a restart, for a test that lets another process use the data
    /// directory in between (an engine may lock it). engine() is invalid while stopped.
    void stop_engine();
    void start_engine();

    /// Opens a log owned by the fake shard; fails the test when the engine refuses.
    std::unique_ptr<sdk::log> open_log(const std::string& name);
    /// As above, with the rest of the spec (the owner is set to the fake shard).
    std::unique_ptr<sdk::log> open_log(sdk::log_spec spec);

    sdk::result<sdk::record_batch> read(sdk::log& log, sdk::offset from, std::size_t max_bytes);
    /// Every record from `from` to the end, over as many reads as it takes.
    sdk::result<sdk::record_batch> read_all(sdk::log& log, sdk::offset from);
    sdk::result<sdk::offset> flush(sdk::log& log);
    sdk::result<sdk::offset> offset_for_timestamp(sdk::log& log, std::int64_t ts);
    sdk::status apply(std::vector<sdk::kv_store::write> writes);

    /// Starts an operation with a completion and drives the fake shard until it has run;
    /// fails the test after 10 s or when the completion runs more than once.
    template<class T, class Start>
    T await(Start start)
    {
        auto slot = std::make_shared<completion_slot<T>>();
        start([slot](T v) { slot->set(std::move(v)); });
        drive_until([&] { return slot->ready(); });
        _shard.run_all(); // a second completion would show up here
        check_single_completion(slot->calls());
        return slot->take();
    }

  private:
    template<class Pred>
    void drive_until(Pred ready)
    {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (!ready()) {
            _shard.run_all();
            if (ready()) {
                break;
            }
            fail_if_past(deadline);
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
    }
    static void fail_if_past(std::chrono::steady_clock::time_point deadline);
    static void check_single_completion(int calls);

    std::string _engine_name;
    std::string _plugin_dir;
    std::string _config_json;
    std::filesystem::path _data_dir;
    kernel::loaded_plugin _plugin;
    sdk::storage_factory* _factory = nullptr;
    test::capturing_logger _logger;
    sdk::testing::thread_pool _pool;
    sdk::testing::fake_executor _shard;
    std::unique_ptr<sdk::storage_engine> _engine;
};

} // namespace plexus::test::storage
