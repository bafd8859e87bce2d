#include "run.h"

#include "payload.h"
#include "progress.h"

#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

namespace plexus::bench {

namespace {

using clock = std::chrono::steady_clock;

double self_cpu_seconds()
{
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    auto s = [](const timeval& tv) { return double(tv.tv_sec) + double(tv.tv_usec) / 1e6; };
    return s(u.ru_utime) + s(u.ru_stime);
}

void sleep_until_ns(std::uint64_t t)
{
    timespec ts{};
    ts.tv_sec = static_cast<time_t>(t / 1'000'000'000u);
    ts.tv_nsec = static_cast<long>(t % 1'000'000'000u);
    while (::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
    }
}

/// What runs on one consumer thread: its subscriber, its log and its latencies.
struct consumer_state final : delivery_sink
{
    consumer_state(std::uint32_t run_id, int destination)
      : log(run_id)
      , destination(destination)
    {
    }
    void on_delivery(std::span<const std::byte> body, bool redelivered) override
    {
        auto now = monotonic_ns();
        log.record(body, redelivered, now, latency);
        last_ns.store(now, std::memory_order_relaxed);
        received.store(log.received(), std::memory_order_relaxed);
    }

    std::unique_ptr<subscriber> sub;
    delivery_log log;
    histogram latency;
    int destination;
    std::atomic<std::uint64_t> received{ 0 };
    std::atomic<std::uint64_t> last_ns{ 0 };
};

struct producer_state
{
    std::unique_ptr<publisher> pub;
    std::uint64_t quota = 0; // count mode: messages to send
    std::atomic<std::uint64_t> sent{ 0 };
    std::atomic<bool> done{ false };
    std::uint64_t done_ns = 0;      // the last publish returned
    std::uint64_t confirmed_ns = 0; // wait_confirms() returned
    bool confirms_complete = true;
};

/// The first driver error any thread hit; it stops every other thread.
class failure
{
  public:
    void set(const std::string& what)
    {
        std::lock_guard lock(_mutex);
        if (_what.empty()) {
            _what = what;
        }
        _failed.store(true);
    }
    bool failed() const noexcept { return _failed.load(std::memory_order_relaxed); }
    std::string what() const
    {
        std::lock_guard lock(_mutex);
        return _what;
    }

  private:
    mutable std::mutex _mutex;
    std::string _what;
    std::atomic<bool> _failed{ false };
};

/// Every connection is a file descriptor, and 1 000 of them pass the soft limit many systems
/// start with (1 024): raise it towards the hard limit when the run needs more.
void ensure_descriptors(std::uint64_t connections)
{
    const rlim_t needed = connections + 64; // the setup connection, stdio, the library's own
    rlimit lim{};
    if (::getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur >= needed) {
        return;
    }
    if (lim.rlim_max != RLIM_INFINITY && lim.rlim_max < needed) {
        throw driver_error(std::to_string(connections) + " connections need " + std::to_string(needed) +
                           " file descriptors; the hard limit is " + std::to_string(lim.rlim_max) + " (ulimit -Hn)");
    }
    lim.rlim_cur = needed;
    if (::setrlimit(RLIMIT_NOFILE, &lim) != 0) {
        throw driver_error("cannot raise the file descriptor limit to " + std::to_string(needed));
    }
}

/// Runs open(i) for every i in [0, n) on up to 128 threads at once and rethrows the first
/// driver_error. Opening a connection is mostly waiting for the broker (a Paho MQTT connect
/// waits for a turn or two of its library thread's 100 ms poll loop), so 1 000 connections
/// opened one after the other would take minutes.
template<typename F>
void open_in_parallel(int n, F open)
{
    constexpr int max_threads = 128;
    if (n <= 1) {
        for (int i = 0; i < n; ++i) {
            open(i);
        }
        return;
    }
    std::atomic<int> next{ 0 };
    failure fail;
    std::vector<std::thread> threads;
    for (int t = 0; t < std::min(n, max_threads); ++t) {
        threads.emplace_back([&] {
            for (int i = next++; i < n && !fail.failed(); i = next++) {
                try {
                    open(i);
                } catch (const driver_error& e) {
                    fail.set(e.what());
                }
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    if (fail.failed()) {
        throw driver_error(fail.what());
    }
}

} // namespace

double process_cpu_seconds(int pid)
{
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(in, line)) {
        return -1;
    }
    // Fields after the command name (which may hold spaces) start at field 3; utime and stime
    // are fields 14 and 15, in clock ticks.
    auto close = line.rfind(')');
    if (close == std::string::npos) {
        return -1;
    }
    std::istringstream rest(line.substr(close + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
        if (i == 14) {
            utime = std::stoull(field);
        } else if (i == 15) {
            stime = std::stoull(field);
        }
    }
    return double(utime + stime) / double(::sysconf(_SC_CLK_TCK));
}

run_result run(const options& o, driver& d)
{
    run_result r;
    r.run_id = static_cast<std::uint32_t>(std::random_device{}());
    failure fail;
    std::vector<std::unique_ptr<consumer_state>> consumers;
    std::vector<std::unique_ptr<producer_state>> producers;
    try {
        ensure_descriptors(std::uint64_t(o.producers) + std::uint64_t(o.consumer_count()));
        d.prepare(r.run_id);
        // Every subscriber is in place before the first publisher connects.
        consumers.resize(std::size_t(o.consumer_count()));
        open_in_parallel(o.consumer_count(), [&](int i) {
            auto c = std::make_unique<consumer_state>(r.run_id, i % o.destinations());
            c->sub = d.open_subscriber(i, c->destination);
            consumers[std::size_t(i)] = std::move(c);
        });
        producers.resize(std::size_t(o.producers));
        open_in_parallel(o.producers, [&](int i) {
            auto p = std::make_unique<producer_state>();
            p->pub = d.open_publisher(i);
            if (o.count > 0) {
                p->quota = o.count / std::uint64_t(o.producers) + (std::uint64_t(i) < o.count % o.producers ? 1 : 0);
            }
            producers[std::size_t(i)] = std::move(p);
        });
    } catch (const driver_error& e) {
        r.error = e.what();
        return r;
    }

    std::map<std::string, double> cpu_before;
    for (const auto& [name, pid] : o.cpu_pids) {
        cpu_before[name] = process_cpu_seconds(pid);
    }
    double client_before = self_cpu_seconds();
    std::atomic<bool> stop_consumers{ false };
    // --backlog: the watcher below lets consumers read once every producer is done, and notes
    // when, so that the delivery rate is the rate of draining the backlog.
    std::atomic<bool> consuming{ !o.backlog };
    const std::uint64_t start_ns = monotonic_ns() + 1'000'000; // every thread begins on this mark
    const std::uint64_t end_ns = o.duration_s > 0 ? start_ns + std::uint64_t(o.duration_s * 1e9) : 0;

    std::vector<std::thread> threads;
    for (auto& c : consumers) {
        threads.emplace_back([&, c = c.get()] {
            try {
                while (!consuming.load() && !stop_consumers.load() && !fail.failed()) {
                    std::this_thread::sleep_for(std::chrono::milliseconds(1));
                }
                while (!stop_consumers.load(std::memory_order_relaxed) && !fail.failed()) {
                    c->sub->poll(std::chrono::milliseconds(50), *c);
                }
            } catch (const driver_error& e) {
                fail.set(e.what());
            }
        });
    }
    for (std::size_t i = 0; i < producers.size(); ++i) {
        threads.emplace_back([&, i, p = producers[i].get()] {
            try {
                payload_writer body(o.size, r.run_id, static_cast<std::uint32_t>(i));
                // Open loop: each producer sends at rate / producers on a fixed schedule, the
                // producers staggered across one interval. A late message is sent at once and
                // its latency counts from when it should have gone (no coordinated omission).
                double interval_ns = o.rate > 0 ? 1e9 * double(producers.size()) / o.rate : 0;
                double offset_ns = interval_ns * double(i) / double(producers.size());
                sleep_until_ns(start_ns);
                for (std::uint64_t seq = 0; !fail.failed(); ++seq) {
                    if (o.count > 0 ? seq >= p->quota : monotonic_ns() >= end_ns) {
                        break;
                    }
                    std::uint64_t stamp_ns;
                    if (interval_ns > 0) {
                        stamp_ns = start_ns + std::uint64_t(offset_ns + interval_ns * double(seq));
                        if (end_ns != 0 && stamp_ns >= end_ns) {
                            break;
                        }
                        sleep_until_ns(stamp_ns);
                    } else {
                        stamp_ns = monotonic_ns();
                    }
                    p->pub->publish(body.stamp(seq, stamp_ns));
                    p->sent.store(seq + 1, std::memory_order_relaxed);
                }
                p->done_ns = monotonic_ns();
                p->confirms_complete = p->pub->wait_confirms(
                  clock::now() + std::chrono::milliseconds(std::int64_t(o.drain_timeout_s * 1000)));
                p->confirmed_ns = monotonic_ns();
            } catch (const driver_error& e) {
                fail.set(e.what());
            }
            p->done.store(true);
        });
    }

    // Watch: the progress line, then the end. Producers first; then consumers until each
    // destination has every message or nothing arrived for drain_timeout.
    progress_line line(o.progress);
    auto sum_sent = [&] {
        std::uint64_t n = 0;
        for (auto& p : producers) {
            n += p->sent.load(std::memory_order_relaxed);
        }
        return n;
    };
    auto sum_received = [&] {
        std::uint64_t n = 0;
        for (auto& c : consumers) {
            n += c->received.load(std::memory_order_relaxed);
        }
        return n;
    };
    auto all_done = [&] {
        return std::all_of(producers.begin(), producers.end(), [](auto& p) { return p->done.load(); });
    };
    std::uint64_t last_received = 0;
    std::uint64_t last_progress_ns = monotonic_ns();
    std::uint64_t consume_start_ns = start_ns;
    for (;;) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        auto now = monotonic_ns();
        auto sent = sum_sent();
        auto received = sum_received();
        line.update(now > start_ns ? double(now - start_ns) / 1e9 : 0, sent, received, o);
        if (fail.failed()) {
            break;
        }
        if (received != last_received) {
            last_received = received;
            last_progress_ns = now;
        }
        if (!all_done()) {
            last_progress_ns = now; // the drain timeout counts from the producers' end
            continue;
        }
        if (!consuming.load()) {
            consume_start_ns = now;
            consuming.store(true);
        }
        if (consumers.empty() || received >= sent * std::uint64_t(o.destinations())) {
            break;
        }
        if (now - last_progress_ns > std::uint64_t(o.drain_timeout_s * 1e9)) {
            break; // what is missing now is lost
        }
    }
    line.finish();
    // A duplicate arriving after the last expected message would go unseen; a short grace
    // period at the end catches the common case (a redelivery right behind the original).
    if (!consumers.empty() && !fail.failed()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    stop_consumers.store(true);
    for (auto& t : threads) {
        t.join();
    }

    r.client_cpu_s = self_cpu_seconds() - client_before;
    for (const auto& [name, pid] : o.cpu_pids) {
        auto after = process_cpu_seconds(pid);
        r.cpu_s[name] = (after < 0 || cpu_before[name] < 0) ? -1 : after - cpu_before[name];
    }
    r.error = fail.what();

    std::vector<std::uint64_t> sent(producers.size());
    std::uint64_t last_send_ns = start_ns;
    std::uint64_t last_confirm_ns = start_ns;
    for (std::size_t i = 0; i < producers.size(); ++i) {
        sent[i] = producers[i]->sent.load();
        r.sent += sent[i];
        auto counts = producers[i]->pub->counts();
        r.publishes.confirmed += counts.confirmed;
        r.publishes.refused += counts.refused;
        r.confirms_complete = r.confirms_complete && producers[i]->confirms_complete;
        last_send_ns = std::max(last_send_ns, producers[i]->done_ns);
        last_confirm_ns = std::max(last_confirm_ns, producers[i]->confirmed_ns);
    }
    std::uint64_t last_delivery_ns = start_ns;
    for (int dest = 0; dest < o.destinations(); ++dest) {
        delivery_log merged(r.run_id);
        bool any = false;
        for (auto& c : consumers) {
            if (c->destination == dest) {
                merged.merge(c->log);
                any = true;
            }
        }
        if (any) {
            r.deliveries += merged.check(sent);
            r.checked = true;
        }
    }
    for (auto& c : consumers) {
        r.latency_ns.merge(c->latency);
        last_delivery_ns = std::max(last_delivery_ns, c->last_ns.load());
    }
    r.send_s = double(last_send_ns - start_ns) / 1e9;
    r.confirm_s = double(last_confirm_ns - start_ns) / 1e9;
    r.delivery_s = double(last_delivery_ns - start_ns) / 1e9;
    r.consume_start_s = double(consume_start_ns - start_ns) / 1e9;
    consumers.clear(); // connections close before the queues go
    producers.clear();
    d.clean_up();
    return r;
}

} // namespace plexus::bench
