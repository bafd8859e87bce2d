// A real broker for facade-level tests: the memory engine and the four routers loaded
// through the plugin loader, on two shards, with helpers that call the facade as a protocol
// plugin does (on its shard) and wait for the answer.
#pragma once

#include "kernel/src/server/broker.h"
#include "support/broker_process.h"

#include <catch2/catch.hpp>

#include <atomic>

#include <chrono>
#include <cstdlib>
#include <future>
#include <mutex>
#include <thread>

namespace plexus_test {

using namespace plexus;
using namespace std::chrono_literals;
using sdk::errc;

inline kernel::broker_config test_config()
{
    kernel::broker_config c;
    c.shards = 2;
    c.admin_enabled = false;
    c.plugin_dirs = { PLEXUS_TEST_PLUGIN_DIR };
    c.storage_engines = { { "memory", "{}" } };
    c.default_storage = "memory";
    c.routing_types = { { "direct", "{}" }, { "fanout", "{}" }, { "topic", "{}" }, { "headers", "{}" } };
    c.log_level = "warn";
    return c;
}

/// Calls a facade verb on its shard from the test thread and waits for the callback.
template<class T, class Call>
T call(sdk::kernel& k, Call c)
{
    auto p = std::make_shared<std::promise<T>>();
    auto f = p->get_future();
    k.shard().post([&k, p, c = std::move(c)]() mutable { c(k, [p](T v) { p->set_value(std::move(v)); }); });
    REQUIRE(f.wait_for(5s) == std::future_status::ready);
    return f.get();
}

template<class Pred>
bool eventually(Pred p, std::chrono::milliseconds deadline = 5s)
{
    auto until = std::chrono::steady_clock::now() + deadline;
    while (std::chrono::steady_clock::now() < until) {
        if (p()) {
            return true;
        }
        std::this_thread::sleep_for(2ms);
    }
    return p();
}

inline sdk::message_ptr make_message(std::string exchange,
                                     std::string key,
                                     std::string body,
                                     std::string kafka_key = {})
{
    auto m = std::make_shared<sdk::message>();
    m->exchange = std::move(exchange);
    m->routing_key = std::move(key);
    m->key = std::move(kafka_key);
    m->body = sdk::buffer_chain::copy_of(body);
    m->timestamp = sdk::timestamp_ms(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count());
    return m;
}

/// Collects deliveries (on the subscriber's shard) for the test thread to inspect.
struct collecting_sink final : sdk::delivery_sink
{
    std::mutex mu;
    std::vector<sdk::delivery> got;
    std::optional<sdk::status> cancel_reason;
    void deliver(std::vector<sdk::delivery> batch) noexcept override
    {
        std::lock_guard lk(mu);
        for (auto& d : batch) {
            got.push_back(std::move(d));
        }
    }
    void cancelled(const sdk::status& why) noexcept override
    {
        std::lock_guard lk(mu);
        cancel_reason = why;
    }
    std::size_t count()
    {
        std::lock_guard lk(mu);
        return got.size();
    }
    std::vector<std::string> bodies()
    {
        std::lock_guard lk(mu);
        std::vector<std::string> out;
        for (auto& d : got) {
            out.push_back(d.msg->body.to_string());
        }
        return out;
    }
    sdk::delivery at(std::size_t i)
    {
        std::lock_guard lk(mu);
        return got.at(i);
    }
};

struct broker_fixture
{
    kernel::broker_config config;
    kernel::log_registry logs{ "warn" };
    kernel::plugin_registry plugins{ config.plugin_dirs };
    std::unique_ptr<kernel::broker> b;

    broker_fixture()
      : broker_fixture(test_config())
    {
    }
    explicit broker_fixture(kernel::broker_config c)
      : config(std::move(c))
    {
        auto st = plugins.load_configured(config);
        REQUIRE(st.ok());
        auto created = kernel::broker::create(config, plugins, logs);
        REQUIRE(created.ok());
        b = std::move(*created);
        REQUIRE(b->start().ok());
    }
    ~broker_fixture() { b->stop(1s); }

    sdk::kernel& k(unsigned shard = 0) { return b->facade(shard); }

    sdk::result<sdk::queue_info> declare(sdk::queue_spec spec, unsigned shard = 0)
    {
        using R = sdk::result<sdk::queue_info>;
        return call<R>(k(shard), [spec](sdk::kernel& k, auto done) { k.declare_queue(spec, std::move(done)); });
    }
    sdk::result<sdk::queue_info> declare(std::string name)
    {
        sdk::queue_spec s;
        s.name = std::move(name);
        return declare(s);
    }
    sdk::status bind(std::string exchange, std::string queue, std::string key, sdk::headers args = {})
    {
        sdk::binding_spec s;
        s.exchange = std::move(exchange);
        s.destination = std::move(queue);
        s.key = std::move(key);
        s.arguments = std::move(args);
        return bind_spec(s);
    }
    sdk::status declare_exchange(std::string name, std::string type, sdk::headers args = {}, bool internal = false)
    {
        sdk::exchange_spec s;
        s.name = std::move(name);
        s.type = std::move(type);
        s.arguments = std::move(args);
        s.internal = internal;
        return call<sdk::status>(k(), [s](sdk::kernel& k, auto done) { k.declare_exchange(s, std::move(done)); });
    }
    sdk::status bind_spec(const sdk::binding_spec& s)
    {
        return call<sdk::status>(k(), [s](sdk::kernel& k, auto done) { k.bind(s, std::move(done)); });
    }
    sdk::status unbind_spec(const sdk::binding_spec& s)
    {
        return call<sdk::status>(k(), [s](sdk::kernel& k, auto done) { k.unbind(s, std::move(done)); });
    }
    sdk::status delete_exchange(std::string name)
    {
        return call<sdk::status>(
          k(), [name](sdk::kernel& k, auto done) { k.delete_exchange("/", name, false, std::move(done)); });
    }
    sdk::result<sdk::publish_ack> publish(sdk::message_ptr m,
                                          unsigned shard = 0,
                                          sdk::ack_level level = sdk::ack_level::stored)
    {
        using R = sdk::result<sdk::publish_ack>;
        return call<R>(k(shard), [m, level](sdk::kernel& k, auto done) {
            k.publish(sdk::publish_request{ "/", m, level }, std::move(done));
        });
    }
    sdk::result<std::optional<sdk::fetched_message>> get(std::string queue, bool auto_ack = true)
    {
        using R = sdk::result<std::optional<sdk::fetched_message>>;
        return call<R>(k(),
                       [queue, auto_ack](sdk::kernel& k, auto done) { k.get("/", queue, auto_ack, std::move(done)); });
    }
    sdk::result<std::unique_ptr<sdk::subscription>> subscribe(sdk::subscribe_request req,
                                                              sdk::delivery_sink& sink,
                                                              unsigned shard = 1)
    {
        using R = sdk::result<std::unique_ptr<sdk::subscription>>;
        return call<R>(k(shard), [req, &sink](sdk::kernel& k, auto done) { k.subscribe(req, sink, std::move(done)); });
    }
    sdk::queue_info info(std::string queue)
    {
        sdk::queue_spec s;
        s.name = std::move(queue);
        s.passive = true;
        auto r = declare(s);
        REQUIRE(r.ok());
        return *r;
    }
    sdk::result<sdk::stream_info> declare_stream(const sdk::stream_spec& spec)
    {
        using R = sdk::result<sdk::stream_info>;
        return call<R>(k(), [spec](sdk::kernel& k, auto done) { k.declare_stream(spec, std::move(done)); });
    }
    /// Runs `f` on `shard` and waits: subscriptions are used only on their own shard.
    template<class F>
    void on(unsigned shard, F f)
    {
        auto p = std::make_shared<std::promise<void>>();
        k(shard).shard().post([p, f = std::move(f)]() mutable {
            f();
            p->set_value();
        });
        REQUIRE(p->get_future().wait_for(5s) == std::future_status::ready);
    }
    /// Destroys a subscription on the shard it belongs to.
    void cancel(std::unique_ptr<sdk::subscription> sub, unsigned shard = 1)
    {
        auto p = std::make_shared<std::promise<void>>();
        auto* raw = sub.release();
        k(shard).shard().post([raw, p] {
            delete raw;
            p->set_value();
        });
        p->get_future().wait();
    }
};

inline sdk::subscribe_request consumer(std::string queue, std::uint32_t prefetch = 0)
{
    sdk::subscribe_request r;
    r.queue = std::move(queue);
    r.prefetch = prefetch;
    r.connection = 1;
    return r;
}

} // namespace plexus_test
