#include "kernel/src/server/shard_set.h"

#include "kernel/src/server/current_shard.h"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

namespace plexus::kernel {
namespace {

// asio needs copyable handlers only for some paths; callbacks are move-only, so wrap them.
struct task_handler
{
    sdk::callback<void()> task;
    void operator()() { task(); }
};

class asio_timer final : public sdk::timer
{
  public:
    explicit asio_timer(boost::asio::io_context& ctx)
      : _timer(std::make_shared<boost::asio::steady_timer>(ctx))
    {
    }
    ~asio_timer() override { cancel(); }
    void cancel() noexcept override
    {
        boost::system::error_code ignored;
        _timer->cancel(ignored);
    }
    std::shared_ptr<boost::asio::steady_timer> _timer; // shared with the pending wait
};

} // namespace

void shard_executor::post(sdk::callback<void()> task) noexcept
{
    boost::asio::post(_ctx, task_handler{ std::move(task) });
}

std::unique_ptr<sdk::timer> shard_executor::post_after(std::chrono::milliseconds delay,
                                                       sdk::callback<void()> task) noexcept
{
    auto t = std::make_unique<asio_timer>(_ctx);
    t->_timer->expires_after(delay);
    auto keep = t->_timer;
    t->_timer->async_wait([keep, task = std::move(task)](const boost::system::error_code& ec) mutable {
        if (!ec) {
            task();
        }
    });
    return t;
}

bool shard_executor::is_current() const noexcept
{
    return current_shard() == _id();
}

shard_set::shard_set(unsigned count)
{
    if (count == 0) {
        count = std::max(1u, std::thread::hardware_concurrency());
    }
    for (unsigned i = 0; i < count; ++i) {
        _shards.push_back(std::make_unique<shard>(i));
    }
}

shard_set::~shard_set()
{
    stop();
}

void shard_set::start()
{
    if (_running) {
        return;
    }
    _running = true;
    for (unsigned i = 0; i < _shards.size(); ++i) {
        auto& s = *_shards[i];
        s.ctx.restart();
        s.guard.emplace(s.ctx.get_executor());
        s.thread = std::thread([&s, i] {
            set_current_shard(i);
            s.ctx.run();
        });
    }
}

void shard_set::stop()
{
    if (!_running) {
        return;
    }
    // Work queued before this point runs; timers still pending are abandoned (the broker
    // drains and flushes explicitly before it stops the shards).
    for (auto& s : _shards) {
        s->guard.reset();
        boost::asio::post(s->ctx, [ctx = &s->ctx] { ctx->stop(); });
    }
    for (auto& s : _shards) {
        if (s->thread.joinable()) {
            s->thread.join();
        }
    }
    _running = false;
}

} // namespace plexus::kernel
