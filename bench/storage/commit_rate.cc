#include "bench/storage/commit_rate.h"

#include "bench/storage/engine_session.h"
#include "bench/storage/records.h"
#include "bench/storage/work_dir.h"

#include <fmt/format.h>

namespace plexus::bench {

namespace {

/// The appenders' shared state, on the shard thread only.
class appender_set
{
  public:
    appender_set(sdk::log& log, shard_loop& shard)
      : _log(log)
      , _shard(shard)
      , _record(hundred_byte_batch(1))
    {
    }

    void start(int appenders)
    {
        for (int i = 0; i < appenders; ++i) {
            ++_outstanding;
            _shard.post([this] { append_one(); });
        }
    }
    void begin_counting()
    {
        _counting = true;
        _confirmed = 0;
        _syncs = 0;
    }
    /// No appender starts another append; the outstanding ones complete.
    void stop()
    {
        _counting = false;
        _stopping = true;
    }
    bool idle() const noexcept { return _outstanding == 0; }
    std::uint64_t confirmed() const noexcept { return _confirmed; }
    std::uint64_t syncs() const noexcept { return _syncs; }
    const sdk::status& failure() const noexcept { return _failure; }

  private:
    void append_one()
    {
        if (_stopping || !_failure.ok()) {
            --_outstanding;
            return;
        }
        sdk::record_batch batch;
        batch.records = _record.records;
        if (auto r = _log.append(std::move(batch)); !r) {
            _failure = r.error();
            --_outstanding;
            return;
        }
        _log.flush([this](sdk::result<sdk::offset> r) { on_flushed(std::move(r)); });
    }

    void on_flushed(sdk::result<sdk::offset> r)
    {
        if (!r) {
            _failure = r.error();
            --_outstanding;
            return;
        }
        if (_counting) {
            ++_confirmed;
            if (*r != _last_committed) {
                ++_syncs; // completions of one sync carry the same committed offset
            }
        }
        _last_committed = *r;
        _shard.post([this] { append_one(); });
    }

    sdk::log& _log;
    shard_loop& _shard;
    sdk::record_batch _record;
    int _outstanding = 0;
    bool _counting = false;
    bool _stopping = false;
    std::uint64_t _confirmed = 0;
    std::uint64_t _syncs = 0;
    sdk::offset _last_committed{ -1 };
    sdk::status _failure;
};

} // namespace

sdk::result<measurement> measure_commit_rate(const scenario_context& ctx, const commit_options& options)
{
    auto bench = open_bench_log(ctx, options.engine, fsync_config(options.engine, options.fsync), "commit");
    if (!bench) {
        return bench.error();
    }
    auto& session = bench->session;
    auto& log = bench->log;
    auto& shard = session->shard();
    appender_set appenders(*log, shard);
    const auto never = [] { return false; };

    appenders.start(options.appenders);
    shard.run_until(never, std::chrono::steady_clock::now() + options.warmup);
    appenders.begin_counting();
    const auto began = std::chrono::steady_clock::now();
    shard.run_until([&] { return !appenders.failure().ok(); }, began + options.duration);
    const auto ended = std::chrono::steady_clock::now();
    appenders.stop();
    shard.run_until([&] { return appenders.idle(); }, ended + std::chrono::seconds(30));
    if (!appenders.failure().ok()) {
        return appenders.failure();
    }
    if (!appenders.idle()) {
        return sdk::status(sdk::errc::timed_out, "outstanding flushes did not complete within 30 s");
    }

    measurement m;
    const double seconds = seconds_between(began, ended);
    m.value = static_cast<double>(appenders.confirmed()) / seconds;
    const double per_sync =
      appenders.syncs() > 0 ? static_cast<double>(appenders.confirmed()) / static_cast<double>(appenders.syncs()) : 0;
    m.extras = {
        { "appenders", std::to_string(options.appenders) },
        { "confirmed", std::to_string(appenders.confirmed()) },
        { "syncs", std::to_string(appenders.syncs()) },
        { "syncs_per_s", fmt::format("{:.1f}", static_cast<double>(appenders.syncs()) / seconds) },
        { "appends_per_sync", fmt::format("{:.1f}", per_sync) },
    };
    log.reset();
    if (auto st = session->close(); !st.ok()) {
        return st;
    }
    return m;
}

} // namespace plexus::bench
