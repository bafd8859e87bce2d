// The runner against an in-memory driver: every message reaches the consumers checked, and
// with --backlog no consumer polls before every producer is done, so the delivery rate is
// the backlog's drain rate.
#include "run.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <deque>
#include <mutex>
#include <vector>

using namespace plexus::bench;

namespace {

/// One destination: what publishers put, subscribers take. Notes whether any poll came
/// before every publisher had returned from wait_confirms().
struct memory_broker
{
    std::mutex mutex;
    std::deque<std::vector<std::byte>> queued;
    int publishers_open = 0;
    int publishers_confirmed = 0;
    std::atomic<bool> polled_while_publishing{ false };
    std::atomic<std::uint64_t> polls{ 0 };
};

class memory_publisher final : public publisher
{
  public:
    explicit memory_publisher(memory_broker& b)
      : _b(b)
    {
    }
    void publish(std::span<const std::byte> body) override
    {
        std::lock_guard lock(_b.mutex);
        _b.queued.emplace_back(body.begin(), body.end());
        ++_published;
    }
    bool wait_confirms(std::chrono::steady_clock::time_point) override
    {
        std::lock_guard lock(_b.mutex);
        ++_b.publishers_confirmed;
        return true;
    }
    publisher_counts counts() const override { return { _published, 0 }; }

  private:
    memory_broker& _b;
    std::uint64_t _published = 0;
};

class memory_subscriber final : public subscriber
{
  public:
    explicit memory_subscriber(memory_broker& b)
      : _b(b)
    {
    }
    std::size_t poll(std::chrono::milliseconds, delivery_sink& sink) override
    {
        std::deque<std::vector<std::byte>> taken;
        {
            std::lock_guard lock(_b.mutex);
            if (_b.publishers_confirmed < _b.publishers_open) {
                _b.polled_while_publishing = true;
            }
            taken.swap(_b.queued);
        }
        ++_b.polls;
        for (const auto& body : taken) {
            sink.on_delivery(body, false);
        }
        return taken.size();
    }

  private:
    memory_broker& _b;
};

class memory_driver final : public driver
{
  public:
    explicit memory_driver(memory_broker& b)
      : _b(b)
    {
    }
    std::string_view protocol() const noexcept override { return "memory"; }
    void prepare(std::uint32_t) override {}
    std::unique_ptr<publisher> open_publisher(int) override
    {
        std::lock_guard lock(_b.mutex);
        ++_b.publishers_open;
        return std::make_unique<memory_publisher>(_b);
    }
    std::unique_ptr<subscriber> open_subscriber(int, int) override { return std::make_unique<memory_subscriber>(_b); }
    void clean_up() noexcept override {}

  private:
    memory_broker& _b;
};

options run_options(bool backlog)
{
    options o;
    o.driver = "memory";
    o.count = 20000;
    o.producers = 2;
    o.backlog = backlog;
    o.drain_timeout_s = 2;
    o.progress = options::progress_mode::never;
    return o;
}

} // namespace

TEST_CASE("run: every message of every producer reaches the consumer", "[plexus-bench][run]")
{
    memory_broker b;
    memory_driver d(b);
    auto r = run(run_options(false), d);
    CHECK(r.error.empty());
    CHECK(r.sent == 20000);
    CHECK(r.deliveries.unique == 20000);
    CHECK(r.deliveries.lost == 0);
    CHECK(r.clean());
    CHECK(r.consume_start_s == 0);
    CHECK(r.publishes.confirmed == 20000);
    CHECK(r.confirm_s >= r.send_s);
}

TEST_CASE("run: with --backlog consumers begin once the producers are done", "[plexus-bench][run]")
{
    memory_broker b;
    memory_driver d(b);
    auto r = run(run_options(true), d);
    CHECK(r.clean());
    CHECK(r.deliveries.unique == 20000);
    CHECK(b.polls.load() > 0);
    CHECK_FALSE(b.polled_while_publishing.load());
    // Consumers started after the last publish, and the last delivery came after that.
    CHECK(r.consume_start_s >= r.send_s);
    CHECK(r.delivery_s >= r.consume_start_s);
}
