// group_commit alone: who shares which sync, failures, refusals, and real concurrency.
#include "group_commit.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

using namespace plexus;
using plexus::storage::rocks::group_commit;

namespace {

/// Jobs the test runs by hand; the sync function counts its calls and can run a hook while
/// it "syncs" (to make requests arrive mid-sync).
struct manual
{
    std::deque<sdk::callback<void(const sdk::status&)>> jobs;
    int syncs = 0;
    sdk::status next_result;
    std::function<void()> during_sync;
    bool refuse = false;

    group_commit make()
    {
        return group_commit(
          [this] {
              ++syncs;
              if (during_sync) {
                  auto hook = std::move(during_sync);
                  during_sync = nullptr;
                  hook();
              }
              return next_result;
          },
          [this](sdk::callback<void(const sdk::status&)> job) {
              if (refuse) {
                  job(sdk::status(sdk::errc::unavailable, "closing"));
              } else {
                  jobs.push_back(std::move(job));
              }
          });
    }
    void run_jobs()
    {
        while (!jobs.empty()) {
            auto job = std::move(jobs.front());
            jobs.pop_front();
            job(sdk::status());
        }
    }
};

} // namespace

TEST_CASE("requests made before the sync starts share it", "[rocksdb][group_commit]")
{
    manual m;
    auto gc = m.make();
    std::vector<sdk::status> results;
    for (int i = 0; i < 100; ++i) {
        gc.wrote(); // a write, then the request for it, as writers do
        gc.request([&](const sdk::status& st) { results.push_back(st); });
    }
    CHECK(m.jobs.size() == 1); // one round queued, not a hundred
    CHECK(results.empty());
    m.run_jobs();
    CHECK(m.syncs == 1);
    REQUIRE(results.size() == 100);
    for (const auto& st : results) {
        CHECK(st.ok());
    }
    CHECK(gc.syncs() == 1);
    CHECK(gc.requests() == 100);
}

TEST_CASE("requests made during a sync wait for the next one", "[rocksdb][group_commit]")
{
    manual m;
    auto gc = m.make();
    std::vector<int> order;
    int syncs_seen_by_late = -1;
    gc.wrote();
    gc.request([&](const sdk::status&) { order.push_back(1); });
    m.during_sync = [&] {
        // Both arrive while sync 1 runs: sync 1 may not answer them.
        for (int i = 0; i < 2; ++i) {
            gc.wrote();
            gc.request([&](const sdk::status&) {
                order.push_back(2);
                syncs_seen_by_late = m.syncs;
            });
        }
    };
    m.run_jobs();
    CHECK(m.syncs == 2);
    CHECK(order == std::vector<int>{ 1, 2, 2 });
    CHECK(syncs_seen_by_late == 2);
    CHECK(m.jobs.empty());

    // Idle again: a new request starts a new round.
    gc.wrote();
    gc.request([&](const sdk::status&) { order.push_back(3); });
    CHECK(m.jobs.size() == 1);
    m.run_jobs();
    CHECK(m.syncs == 3);
}

TEST_CASE("a failed sync fails the requests it served, not later ones", "[rocksdb][group_commit]")
{
    manual m;
    auto gc = m.make();
    m.next_result = sdk::status(sdk::errc::io_error, "fsync failed");
    std::vector<sdk::errc> codes;
    for (int i = 0; i < 3; ++i) {
        gc.wrote();
        gc.request([&](const sdk::status& st) { codes.push_back(st.code()); });
    }
    m.run_jobs();
    CHECK(codes == std::vector<sdk::errc>(3, sdk::errc::io_error));
    m.next_result = sdk::status();
    gc.wrote();
    gc.request([&](const sdk::status& st) { codes.push_back(st.code()); });
    m.run_jobs();
    CHECK(codes.back() == sdk::errc::ok);
}

TEST_CASE("a refused submission fails the waiting requests with the reason", "[rocksdb][group_commit]")
{
    manual m;
    m.refuse = true;
    auto gc = m.make();
    std::vector<sdk::errc> codes;
    gc.wrote();
    gc.request([&](const sdk::status& st) { codes.push_back(st.code()); });
    CHECK(codes == std::vector<sdk::errc>{ sdk::errc::unavailable });
    CHECK(m.syncs == 0);
    m.refuse = false;
    gc.wrote();
    gc.request([&](const sdk::status& st) { codes.push_back(st.code()); });
    m.run_jobs();
    CHECK(codes.back() == sdk::errc::ok); // not stuck "running"
}

TEST_CASE("many threads asking at once get far fewer syncs than requests", "[rocksdb][group_commit]")
{
    // A real worker thread and a sync that takes a millisecond, like an fsync.
    std::mutex mutex;
    std::condition_variable cv;
    std::deque<sdk::callback<void(const sdk::status&)>> queue;
    bool stopping = false;
    std::thread worker([&] {
        for (;;) {
            sdk::callback<void(const sdk::status&)> job;
            {
                std::unique_lock lock(mutex);
                cv.wait(lock, [&] { return stopping || !queue.empty(); });
                if (queue.empty()) {
                    return;
                }
                job = std::move(queue.front());
                queue.pop_front();
            }
            job(sdk::status());
        }
    });
    std::atomic<int> syncing{ 0 };
    std::atomic<bool> overlapped{ false };
    group_commit gc(
      [&] {
          if (syncing.fetch_add(1) != 0) {
              overlapped = true;
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
          syncing.fetch_sub(1);
          return sdk::status();
      },
      [&](sdk::callback<void(const sdk::status&)> job) {
          {
              std::lock_guard lock(mutex);
              queue.push_back(std::move(job));
          }
          cv.notify_one();
      });

    constexpr int threads = 8;
    constexpr int per_thread = 50;
    std::atomic<int> done{ 0 };
    std::atomic<int> failed{ 0 }; // Catch2 v2 assertions are not thread-safe: count instead
    std::vector<std::thread> clients;
    for (int t = 0; t < threads; ++t) {
        clients.emplace_back([&] {
            for (int i = 0; i < per_thread; ++i) {
                std::atomic<bool> mine{ false };
                gc.wrote();
                gc.request([&](const sdk::status& st) {
                    if (!st.ok()) {
                        ++failed;
                    }
                    mine = true;
                    ++done;
                });
                while (!mine) {
                    std::this_thread::yield();
                }
            }
        });
    }
    for (auto& c : clients) {
        c.join();
    }
    {
        std::lock_guard lock(mutex);
        stopping = true;
    }
    cv.notify_all();
    worker.join();
    CHECK(done == threads * per_thread);
    CHECK(failed == 0);
    CHECK(gc.requests() == threads * per_thread);
    CHECK_FALSE(overlapped); // one sync at a time
    INFO("syncs: " << gc.syncs());
    CHECK(gc.syncs() < static_cast<std::uint64_t>(threads * per_thread) / 2);
}

TEST_CASE("a request for writes a finished sync covered completes at once", "[rocksdb][group_commit]")
{
    manual m;
    auto gc = m.make();
    const auto first = gc.wrote();
    int served = 0;
    gc.request(first, [&](const sdk::status& st) { served += st.ok() ? 1 : 100; });
    m.run_jobs();
    REQUIRE(served == 1);
    REQUIRE(m.syncs == 1);

    // A log that asks only now for that write (its start was posted behind other tasks) is
    // answered inline, without a sync.
    gc.request(first, [&](const sdk::status& st) { served += st.ok() ? 1 : 100; });
    CHECK(served == 2);
    CHECK(m.jobs.empty());
    gc.request([&](const sdk::status& st) { served += st.ok() ? 1 : 100; }); // nothing written since
    CHECK(served == 3);
    CHECK(m.jobs.empty());
    CHECK(m.syncs == 1);
    CHECK(gc.requests() == 3);

    // A later write needs a sync of its own.
    const auto second = gc.wrote();
    gc.request(second, [&](const sdk::status& st) { served += st.ok() ? 1 : 100; });
    CHECK(served == 3);
    CHECK(m.jobs.size() == 1);
    m.run_jobs();
    CHECK(served == 4);
    CHECK(m.syncs == 2);
}

TEST_CASE("a request made during a sync joins it when the sync covers its writes", "[rocksdb][group_commit]")
{
    manual m;
    auto gc = m.make();
    const auto covered = gc.wrote();
    std::vector<std::pair<int, int>> served; // (request, syncs run when it completed)
    gc.request(covered, [&](const sdk::status&) { served.emplace_back(1, m.syncs); });
    m.during_sync = [&] {
        // Written before the sync started: this sync covers it.
        gc.request(covered, [&](const sdk::status&) { served.emplace_back(2, m.syncs); });
        // Written during the sync: only the next one does.
        const auto later = gc.wrote();
        gc.request(later, [&](const sdk::status&) { served.emplace_back(3, m.syncs); });
    };
    m.run_jobs();
    CHECK(m.syncs == 2);
    CHECK(served == std::vector<std::pair<int, int>>{ { 1, 1 }, { 2, 1 }, { 3, 2 } });
    CHECK(gc.requests() == 3);
}

TEST_CASE("a failed sync covers nothing: the writes it failed for need another", "[rocksdb][group_commit]")
{
    manual m;
    auto gc = m.make();
    const auto written = gc.wrote();
    m.next_result = sdk::status(sdk::errc::io_error, "fsync failed");
    std::vector<sdk::errc> codes;
    gc.request(written, [&](const sdk::status& st) { codes.push_back(st.code()); });
    m.run_jobs();
    REQUIRE(codes == std::vector<sdk::errc>{ sdk::errc::io_error });
    gc.request(written, [&](const sdk::status& st) { codes.push_back(st.code()); });
    CHECK(codes.size() == 1); // not answered from the failed sync
    REQUIRE(m.jobs.size() == 1);
    m.run_jobs();
    CHECK(m.syncs == 2);
    CHECK(codes.back() == sdk::errc::io_error); // the sync function still fails
}
