// The child of the storage crash test: appends to one log of an engine for ever, with the
// engine's fsync policy set by the parent, and reports on stdout each range of records
// after a flush() confirmed it (crash_protocol.h). It stops only when killed; the parent
// SIGKILLs it at a random moment. Any engine error ends it with a message on stderr and a
// non-zero exit, which the parent reports as a failure.
//
//   storage_crash_child <plugin-dir> <engine> <data-dir> <log-name> <config-json>
//
// The engine is loaded through the real plugin loader, as plexusd loads it. The log's owner
// shard is a fake_executor that this thread drains; blocking work goes to a one-thread pool.
#include "conformance/storage/crash/crash_protocol.h"
#include "kernel/src/plugin/loader.h"
#include "plexus/sdk/storage.h"
#include "plexus/sdk/testing/fake_executor.h"
#include "plexus/sdk/testing/thread_pool.h"
#include "support/storage_doubles.h"

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <unistd.h>

using namespace plexus;
namespace crash = plexus::test::storage::crash;

namespace {

enum exit_code
{
    bad_usage = 2,
    engine_refused = 3,
    write_failed = 4,
    stuck = 5,
};

/// The engine's log lines go to stderr, which the parent shows when a round fails.
class stderr_logger final : public sdk::logger
{
  public:
    bool enabled(sdk::log_level level) const noexcept override { return level >= sdk::log_level::info; }
    void write(sdk::log_level, std::string_view text) noexcept override
    {
        std::fprintf(stderr, "engine: %.*s\n", static_cast<int>(text.size()), text.data());
    }
};

[[noreturn]] void die(exit_code code, const std::string& why)
{
    std::fprintf(stderr, "storage_crash_child: %s\n", why.c_str());
    std::fflush(stderr);
    ::_exit(code);
}

/// One write(2) per line: the parent must never see half a confirmation.
void say(const std::string& line)
{
    std::size_t done = 0;
    while (done < line.size()) {
        const ssize_t n = ::write(STDOUT_FILENO, line.data() + done, line.size() - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            die(write_failed, "cannot write to stdout (the parent is gone)");
        }
        done += static_cast<std::size_t>(n);
    }
}

/// flush() and wait for its completion, which may run inline, on the pool's thread or on
/// the shard; the shard is drained meanwhile.
sdk::result<sdk::offset> flush(sdk::log& log, sdk::testing::fake_executor& shard)
{
    struct slot
    {
        std::mutex mutex;
        std::condition_variable cv;
        std::optional<sdk::result<sdk::offset>> value;
    };
    auto s = std::make_shared<slot>();
    log.flush([s](sdk::result<sdk::offset> r) {
        std::lock_guard lock(s->mutex);
        s->value.emplace(std::move(r));
        s->cv.notify_all();
    });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (;;) {
        shard.run_all();
        std::unique_lock lock(s->mutex);
        // The pool posts to the shard without waking us: wake up now and then to drain it.
        if (s->cv.wait_for(lock, std::chrono::microseconds(100), [&] { return s->value.has_value(); })) {
            return std::move(*s->value);
        }
        if (std::chrono::steady_clock::now() > deadline) {
            die(stuck, "a flush did not complete within 10 s");
        }
    }
}

} // namespace

int main(int argc, char** argv)
{
    if (argc != 6) {
        die(bad_usage, "usage: storage_crash_child <plugin-dir> <engine> <data-dir> <log-name> <config-json>");
    }
    const std::string plugin_dir = argv[1];
    const std::string engine_name = argv[2];
    const std::string data_dir = argv[3];
    const std::string log_name = argv[4];
    const std::string config = argv[5];

    auto plugin = kernel::load_plugin({ plugin_dir }, PLEXUS_KIND_STORAGE, engine_name);
    if (!plugin) {
        die(engine_refused, "cannot load engine '" + engine_name + "': " + plugin.error().to_string());
    }
    auto& factory = *static_cast<sdk::storage_factory*>(plugin->factory);
    // Nothing here is ever destroyed: the process ends by SIGKILL, or by _exit on an error.
    sdk::testing::thread_pool pool;
    stderr_logger logger;
    sdk::testing::fake_executor shard;
    sdk::storage_context ctx;
    ctx.data_dir = data_dir;
    ctx.log = &logger;
    ctx.blocking = &pool;
    auto engine = factory.create(ctx, config);
    if (!engine) {
        die(engine_refused, "cannot create engine '" + engine_name + "': " + engine.error().to_string());
    }
    sdk::log_spec spec;
    spec.name = log_name;
    spec.owner = &shard;
    auto log = (*engine)->open_log(spec);
    if (!log) {
        die(engine_refused, "cannot open log '" + log_name + "': " + log.error().to_string());
    }

    sdk::offset next = (*log)->offsets().next;
    say(crash::opened_line(next));
    // Batching varies from run to run; what a record holds depends on its offset only.
    std::mt19937_64 rng(std::random_device{}());
    for (;;) {
        const sdk::offset first = next;
        const int batches = 1 + static_cast<int>(rng() % 3);
        for (int b = 0; b < batches; ++b) {
            const int n = 1 + static_cast<int>(rng() % 16);
            sdk::record_batch batch;
            for (int i = 0; i < n; ++i) {
                batch.records.push_back(crash::record_at(next + i));
            }
            auto range = (*log)->append(std::move(batch));
            if (!range) {
                die(write_failed, "append at " + std::to_string(next()) + " failed: " + range.error().to_string());
            }
            if (range->first != next || range->count() != n) {
                die(write_failed,
                    "append at " + std::to_string(next()) + " got offsets " + std::to_string(range->first()) + ".." +
                      std::to_string(range->last()));
            }
            next = next + n;
        }
        auto committed = flush(**log, shard);
        if (!committed) {
            die(write_failed, "flush failed: " + committed.error().to_string());
        }
        if (*committed < next) {
            die(write_failed,
                "flush completed with " + std::to_string((*committed)()) + " below the end " + std::to_string(next()) +
                  " of what was appended before it");
        }
        say(crash::confirmed_line(first, next - 1, *committed));
    }
}
