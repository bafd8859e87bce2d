#include "bench/storage/recovery_time.h"

#include "bench/storage/engine_session.h"
#include "bench/storage/log_filler.h"
#include "bench/storage/page_cache.h"
#include "bench/storage/work_dir.h"

#include <csignal>
#include <fcntl.h>
#include <cstdio>
#include <cstring>
#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vector>

extern char** environ;

namespace plexus::bench {

namespace {

/// Fills the log in process and stops cleanly; returns the log's next offset.
sdk::result<std::int64_t> fill_and_close(const scenario_context& ctx,
                                         const recovery_options& options,
                                         const std::filesystem::path& data)
{
    auto session =
      engine_session::open({ ctx.plugin_dir, options.engine, fsync_config(options.engine, "none"), data, ctx.logger });
    if (!session) {
        return session.error();
    }
    auto log = (*session)->open_log(recovery_log_name);
    if (!log) {
        return log.error();
    }
    if (auto st = fill_log(**log, (*session)->shard(), options.log_bytes); !st.ok()) {
        return st;
    }
    const auto next = (*log)->offsets().next();
    log->reset();
    auto closed = (*session)->close();
    session->reset(); // joins the pool: the sealed segments' index saves are done
    if (!closed.ok()) {
        return closed;
    }
    return next;
}

/// Runs the recovery-writer child, waits until it has filled the log, lets it append for
/// another 20 ms and kills it with SIGKILL; returns the next offset it reported when the log was full.
sdk::result<std::int64_t> fill_and_kill(const scenario_context& ctx,
                                        const recovery_options& options,
                                        const std::filesystem::path& data)
{
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) {
        return sdk::status(sdk::errc::io_error, std::string("pipe: ") + std::strerror(errno));
    }
    std::vector<std::string> args = { ctx.self.string(), "recovery-writer",
                                      "--engine",        options.engine,
                                      "--data-dir",      data.string(),
                                      "--log-bytes",     std::to_string(options.log_bytes),
                                      "--plugin-dir",    ctx.plugin_dir };
    std::vector<char*> argv;
    for (auto& a : args) {
        argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    pid_t child = -1;
    const int spawned = ::posix_spawn(&child, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    if (spawned != 0) {
        ::close(out[0]);
        return sdk::status(sdk::errc::internal,
                           std::string("cannot start the recovery writer: ") + std::strerror(spawned));
    }
    FILE* from_child = ::fdopen(out[0], "r");
    long long ready_next = -1;
    const bool ready = from_child != nullptr && std::fscanf(from_child, "ready %lld", &ready_next) == 1;
    if (ready) {
        // Let it write on for a moment, so the kill lands among appends (and maybe a segment
        // roll), not right after the line.
        ::usleep(20'000);
    }
    ::kill(child, SIGKILL); // also when it failed: nothing of it may outlive the measurement
    int wstatus = 0;
    ::waitpid(child, &wstatus, 0);
    if (from_child != nullptr) {
        std::fclose(from_child);
    } else {
        ::close(out[0]);
    }
    if (!ready) {
        return sdk::status(sdk::errc::internal, "the recovery writer stopped before the log was full");
    }
    if (!WIFSIGNALED(wstatus) || WTERMSIG(wstatus) != SIGKILL) {
        return sdk::status(sdk::errc::internal, "the recovery writer ended before it was killed");
    }
    return static_cast<std::int64_t>(ready_next);
}

std::uint64_t segment_files(const std::filesystem::path& data)
{
    std::uint64_t n = 0;
    std::error_code ec;
    for (const auto& e : std::filesystem::recursive_directory_iterator(data, ec)) {
        n += e.path().extension() == ".log" ? 1 : 0;
    }
    return n;
}

} // namespace

sdk::result<measurement> measure_recovery_time(const scenario_context& ctx, const recovery_options& options)
{
    if (auto st = engine_session::preload(ctx.plugin_dir, options.engine); !st.ok()) {
        return st;
    }
    auto dir = work_dir::create(ctx.work_parent, options.engine + "-recovery");
    if (!dir) {
        return dir.error();
    }
    const auto data = dir->path() / "data";
    auto filled =
      options.stop == stop_kind::clean ? fill_and_close(ctx, options, data) : fill_and_kill(ctx, options, data);
    if (!filled) {
        return filled.error();
    }
    if (options.cold) {
        if (auto st = evict_from_page_cache(data); !st.ok()) {
            return st;
        }
    }

    const auto began = std::chrono::steady_clock::now();
    auto session = engine_session::open({ ctx.plugin_dir, options.engine, "{}", data, ctx.logger });
    if (!session) {
        return session.error();
    }
    auto log = (*session)->open_log(recovery_log_name);
    if (!log) {
        return log.error();
    }
    const auto opened = std::chrono::steady_clock::now();

    const auto offsets = (*log)->offsets();
    const bool complete = options.stop == stop_kind::clean ? offsets.next() == *filled : offsets.next() >= *filled;
    if (!complete) {
        return sdk::status(sdk::errc::corruption,
                           fmt::format("the reopened log ends at {}, expected {}{}",
                                       offsets.next(),
                                       options.stop == stop_kind::clean ? "" : "at least ",
                                       *filled));
    }
    measurement m;
    m.value = seconds_between(began, opened);
    m.extras = {
        { "stored_bytes", std::to_string((*log)->size_bytes()) },
        { "records", std::to_string(offsets.next() - offsets.start()) },
        { "segments", std::to_string(segment_files(data)) },
    };
    if (options.stop == stop_kind::kill) {
        m.extras.emplace_back("records_after_full", std::to_string(offsets.next() - *filled));
    }
    log->reset();
    if (auto st = (*session)->close(); !st.ok()) {
        return st;
    }
    return m;
}

} // namespace plexus::bench
