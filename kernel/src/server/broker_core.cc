#include "kernel/src/server/broker_core.h"

#include "kernel/src/stream/partition_log_name.h"

#include "kernel/src/queue/queue_policy.h"

#include "kernel/src/server/definition_codec.h"
#include "kernel/src/server/queue_lane_names.h"

#include <boost/asio/async_result.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_future.hpp>
#include <fmt/format.h>

#include <filesystem>
#include <random>
#include <set>

namespace plexus::kernel {

using sdk::errc;
using sdk::status;

// Blocking work (fsync, RocksDB) runs here, never on a shard.
struct broker_core::pool final : sdk::blocking_pool
{
    boost::asio::thread_pool threads{ 2 };
    void submit(sdk::callback<void()> work) noexcept override
    {
        boost::asio::post(threads, [w = std::make_shared<sdk::callback<void()>>(std::move(work))] { (*w)(); });
    }
};

// Runs control operations one at a time on the control shard, so that each sees the catalog
// as the previous one left it (two declares of one queue never race).
struct broker_core::control_runner
{
    std::deque<std::function<awaitable<void>()>> ops;
    bool running = false;
};

namespace {

std::string quoted(std::string_view kind, std::string_view name, std::string_view vhost)
{
    return fmt::format("{} '{}' in vhost '{}'", kind, name, vhost);
}

bool header_bool(const sdk::headers& h, std::string_view key)
{
    const auto* v = sdk::find_header(h, key);
    if (v == nullptr) {
        return false;
    }
    if (const auto* b = std::get_if<bool>(v)) {
        return *b;
    }
    if (const auto* s = std::get_if<std::string>(v)) {
        return *s == "true";
    }
    if (const auto* i = std::get_if<std::int64_t>(v)) {
        return *i != 0;
    }
    return false;
}

std::string header_string(const sdk::headers& h, std::string_view key)
{
    const auto* v = sdk::find_header(h, key);
    if (v != nullptr) {
        if (const auto* s = std::get_if<std::string>(v)) {
            return *s;
        }
    }
    return {};
}

/// The log of an x-delayed-message exchange's delay store.
std::string delay_log_name(std::string_view vhost, std::string_view exchange)
{
    return fmt::format("xd/{}/{}", vhost, exchange);
}

std::string delay_cursor_key(std::string_view vhost, std::string_view exchange)
{
    return fmt::format("cur/xd/{}/{}", vhost, exchange);
}

constexpr std::string_view delayed_type = "x-delayed-message";

/// The exchanges every vhost has: re-created with the vhost, never stored, and (as in
/// RabbitMQ) names a client may not declare.
bool builtin_exchange_name(std::string_view name)
{
    return name.empty() || name.starts_with("amq.");
}

using kv_write = sdk::kv_store::write;

std::string inequivalent(std::string_view arg, std::string_view what, bool received, bool current)
{
    return fmt::format("inequivalent arg '{}' for {}: received '{}' but current is '{}'", arg, what, received, current);
}

} // namespace

broker_core::broker_core(const broker_config& config, plugin_registry& plugins, log_registry& logs)
  : _config(config)
  , _plugins(plugins)
  , _logs(logs)
  , _log(logs.get("kernel"))
  , _shards(config.shards)
  , _metrics(_shards.size())
  , _formats(plugins.record_formats())
  , _control(std::make_unique<control_runner>())
  , _disk_alarm(config.data_dir, config.disk_free_limit_bytes)
  , _users(config.users)
  , _disk_alarm_gauge(_metrics.scope("storage").make_gauge("disk_alarm", "1 while free disk space is below the limit"))
  , _pool(std::make_unique<pool>())
{
    _publishers.resize(_shards.size(), nullptr);
    for (unsigned i = 0; i < _shards.size(); ++i) {
        _states.push_back(std::make_unique<shard_state>());
    }
}

broker_core::~broker_core()
{
    _pool->threads.join();
    release_destinations(); // members go in reverse order: the engines before _states
}

void broker_core::release_destinations()
{
    for (auto& st : _states) {
        st->queues.clear();
        st->partitions.clear();
        st->delay_stores.clear();
    }
}

sdk::blocking_pool& broker_core::blocking() noexcept
{
    return *_pool;
}

sdk::status broker_core::create_engines()
{
    for (const auto& [name, json] : _config.storage_engines) {
        auto* factory = _plugins.storage(name);
        if (factory == nullptr) {
            return status(errc::not_found, fmt::format("storage engine '{}' is not loaded", name));
        }
        sdk::storage_context ctx;
        ctx.data_dir = (std::filesystem::path(_config.data_dir) / name).string();
        std::error_code ec;
        std::filesystem::create_directories(ctx.data_dir, ec);
        if (ec) {
            return status(errc::io_error,
                          fmt::format("storage engine '{}': cannot create {}: {}", name, ctx.data_dir, ec.message()));
        }
        ctx.log = &_logs.get("storage." + name);
        ctx.blocking = _pool.get();
        auto engine = factory->create(ctx, json);
        if (!engine) {
            return status(engine.error().code(),
                          fmt::format("storage engine '{}' failed to start: {}", name, engine.error().message()));
        }
        _engines.emplace(name, std::move(*engine));
    }
    if (_engines.count(_config.default_storage) == 0) {
        return status(errc::invalid_argument,
                      fmt::format("storage.default '{}' is not among storage.engines", _config.default_storage));
    }
    _plugin_stores = std::make_unique<plugin_stores>(engine(_config.default_storage)->metadata());
    return {};
}

sdk::storage_engine* broker_core::engine(std::string_view name) noexcept
{
    auto it = _engines.find(std::string(name));
    return it == _engines.end() ? nullptr : it->second.get();
}

sdk::stream_info broker_core::stream_info_of(const sdk::stream_spec& spec) noexcept
{
    sdk::stream_info info;
    info.name = spec.name;
    info.partitions = spec.partitions;
    info.retention_ms = spec.retention_ms;
    info.retention_bytes = spec.retention_bytes;
    info.compact = spec.compact;
    info.delete_retention_ms = spec.delete_retention_ms;
    info.declared_segment_bytes = spec.segment_bytes;
    info.storage = spec.storage;
    info.forward_exchange = spec.forward_exchange;
    if (auto* e = engine(spec.storage); e != nullptr && e->caps().segment_bytes != 0) {
        info.segment_bytes = spec.segment_bytes != 0 ? spec.segment_bytes : e->caps().segment_bytes;
    }
    return info;
}

std::vector<std::pair<std::string, sdk::storage_engine*>> broker_core::engines()
{
    std::vector<std::pair<std::string, sdk::storage_engine*>> out;
    for (auto& [n, e] : _engines) {
        out.emplace_back(n, e.get());
    }
    return out;
}

void broker_core::run_control(std::function<awaitable<void>()> op)
{
    boost::asio::post(_shards.context(0), [this, op = std::move(op)]() mutable {
        _control->ops.push_back(std::move(op));
        if (_control->running) {
            return;
        }
        _control->running = true;
        boost::asio::co_spawn(
          _shards.context(0),
          [this]() -> awaitable<void> {
              while (!_control->ops.empty()) {
                  auto next = std::move(_control->ops.front());
                  _control->ops.pop_front();
                  co_await next();
              }
              _control->running = false;
          },
          boost::asio::detached);
    });
}

awaitable<void> broker_core::on_every_shard(const std::function<void(unsigned, shard_state&)>& f)
{
    for (unsigned i = 0; i < _shards.size(); ++i) {
        auto owner_work_1 = [this, i, &f] { f(i, *_states[i]); };
        co_await on_shard(i, owner_work_1);
    }
}

std::string broker_core::resolve_storage(const std::string& requested, const sdk::headers& args, bool durable) const
{
    if (!requested.empty()) {
        return requested;
    }
    if (auto s = header_string(args, "x-plexus-storage"); !s.empty()) {
        return s;
    }
    if (!durable && !_config.transient_storage.empty()) {
        return _config.transient_storage;
    }
    return _config.default_storage;
}

sdk::result<std::unique_ptr<sdk::router>> broker_core::make_router(const sdk::exchange_spec& spec)
{
    std::string type = spec.type;
    if (type == delayed_type) {
        // The delayed-message exchange routes as its x-delayed-type once a delay is over.
        type = header_string(spec.arguments, "x-delayed-type");
        if (type.empty() || type == delayed_type || _plugins.routing(type) == nullptr) {
            return status(errc::precondition_failed,
                          "Invalid argument, 'x-delayed-type' must be an existing exchange type");
        }
    }
    auto* factory = _plugins.routing(type);
    if (factory == nullptr) {
        return status(errc::invalid_argument, fmt::format("invalid exchange type '{}'", spec.type));
    }
    sdk::router_spec rs;
    rs.exchange = spec.name;
    rs.arguments = spec.arguments;
    if (header_string(spec.arguments, "x-plexus-topic-syntax") == "mqtt") {
        rs.syntax = sdk::topic_syntax::mqtt;
    }
    return factory->create(rs);
}

awaitable<status> broker_core::persist(std::vector<kv_write> writes)
{
    if (_restoring || writes.empty()) {
        co_return status{};
    }
    auto st = co_await apply_and_wait(engine(_config.default_storage)->metadata(), std::move(writes));
    if (!st.ok()) {
        PLEXUS_LOG(_log, error, "cannot store definitions: {}", st.to_string());
    }
    co_return st;
}

awaitable<status> broker_core::apply_and_wait(sdk::kv_store& store, std::vector<kv_write> writes)
{
    auto* home = &_shards.context(0);
    auto initiation = [&store, home, &writes](auto handler) {
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        store.apply(std::move(writes), [shared, home](status st) {
            boost::asio::post(*home, [shared, st]() mutable { std::move (*shared)(st); });
        });
    };
    co_return co_await boost::asio::async_initiate<decltype(boost::asio::use_awaitable), void(status)>(
      initiation, boost::asio::use_awaitable);
}

awaitable<status> broker_core::persist_one(std::string key, std::optional<std::string> value)
{
    // Built here, not as an initializer list in the caller's co_await: GCC 12 cannot keep an
    // initializer list's array in a coroutine frame (ADR 0007).
    std::vector<kv_write> writes;
    writes.push_back({ std::move(key), std::move(value) });
    co_return co_await persist(std::move(writes));
}

bool broker_core::binding_is_durable(const vhost_def& vh, const sdk::binding_spec& spec) const
{
    auto ex = vh.exchanges.find(spec.exchange);
    if (ex == vh.exchanges.end() || !ex->second.spec.durable) {
        return false;
    }
    if (spec.destination_is_stream) {
        return true; // streams are always durable
    }
    if (spec.destination_is_exchange) {
        auto to = vh.exchanges.find(spec.destination);
        return to != vh.exchanges.end() && to->second.spec.durable;
    }
    auto q = vh.queues.find(spec.destination);
    return q != vh.queues.end() && q->second.options.durable && !q->second.options.exclusive;
}

// ---- vhosts ------------------------------------------------------------------------------

awaitable<status> broker_core::declare_vhost(std::string name)
{
    if (name.empty()) {
        co_return status(errc::invalid_argument, "a vhost name must not be empty");
    }
    if (_catalog.count(name) != 0) {
        co_return status{};
    }
    if (auto st = co_await persist_one(definition_keys::vhost(name), std::string()); !st.ok()) {
        co_return st;
    }
    _catalog.emplace(name, vhost_def{});
    const std::function<void(unsigned, shard_state&)> for_each_shard_2 = [name](unsigned, shard_state& s) {
        s.vhosts.emplace(name, vhost_replica{});
    };
    co_await on_every_shard(for_each_shard_2);
    // The exchanges every AMQP vhost has (those whose router plugin is loaded).
    const std::pair<const char*, const char*> builtins[] = {
        { "", "direct" },         { "amq.direct", "direct" },   { "amq.fanout", "fanout" },
        { "amq.topic", "topic" }, { "amq.headers", "headers" }, { "amq.match", "headers" },
    };
    for (const auto& [ex, type] : builtins) {
        if (_plugins.routing(type) == nullptr) {
            continue;
        }
        sdk::exchange_spec spec;
        spec.vhost = name;
        spec.name = ex;
        spec.type = type;
        spec.durable = true;
        auto st = co_await declare_exchange(spec);
        if (!st.ok()) {
            co_return st;
        }
        _catalog[name].exchanges[ex].builtin = true;
    }
    co_return status{};
}

sdk::result<vhost_def*> broker_core::find_vhost(const std::string& vhost)
{
    auto it = _catalog.find(vhost);
    if (it == _catalog.end()) {
        return status(errc::not_found, fmt::format("no vhost '{}'", vhost));
    }
    return &it->second;
}

sdk::result<stream_def*> broker_core::find_stream(const std::string& vhost, const std::string& name)
{
    auto found = find_vhost(vhost);
    if (!found) {
        return found.error();
    }
    auto it = (*found)->streams.find(name);
    if (it == (*found)->streams.end()) {
        return status(errc::not_found, fmt::format("no {}", quoted("stream", name, vhost)));
    }
    return &it->second;
}

awaitable<status> broker_core::delete_vhost(std::string name)
{
    auto found = find_vhost(name);
    if (!found) {
        co_return found.error();
    }
    std::vector<std::string> queues;
    std::vector<std::string> streams;
    for (const auto& [q, d] : (*found)->queues) {
        queues.push_back(q);
    }
    for (const auto& [s, d] : (*found)->streams) {
        streams.push_back(s);
    }
    for (const auto& q : queues) {
        (co_await remove_queue(name, q)).ignore();
    }
    for (const auto& s : streams) {
        (co_await delete_stream(name, s)).ignore();
    }
    std::vector<kv_write> forget;
    for (const auto& prefix : definition_keys::of_vhost(name)) {
        auto rows = engine(_config.default_storage)->metadata().scan(prefix);
        if (!rows) {
            co_return rows.error();
        }
        for (auto& [key, value] : *rows) {
            forget.push_back({ std::move(key), std::nullopt });
        }
    }
    if (auto st = co_await persist(std::move(forget)); !st.ok()) {
        co_return st;
    }
    _catalog.erase(name);
    const std::function<void(unsigned, shard_state&)> for_each_shard_3 = [name](unsigned, shard_state& s) {
        s.vhosts.erase(name);
    };
    co_await on_every_shard(for_each_shard_3);
    co_return status{};
}

// ---- exchanges ---------------------------------------------------------------------------

awaitable<status> broker_core::declare_exchange(sdk::exchange_spec spec)
{
    auto found = find_vhost(spec.vhost);
    if (!found) {
        co_return found.error();
    }
    vhost_def& vh = **found;
    auto what = quoted("exchange", spec.name, spec.vhost);
    auto existing = vh.exchanges.find(spec.name);
    if (existing != vh.exchanges.end()) {
        if (spec.passive) {
            co_return status{};
        }
        const auto& cur = existing->second.spec;
        if (cur.type != spec.type) {
            co_return status(
              errc::precondition_failed,
              fmt::format(
                "inequivalent arg 'type' for {}: received '{}' but current is '{}'", what, spec.type, cur.type));
        }
        if (cur.durable != spec.durable) {
            co_return status(errc::precondition_failed, inequivalent("durable", what, spec.durable, cur.durable));
        }
        if (cur.auto_delete != spec.auto_delete) {
            co_return status(errc::precondition_failed,
                             inequivalent("auto_delete", what, spec.auto_delete, cur.auto_delete));
        }
        co_return status{};
    }
    if (spec.passive) {
        co_return status(errc::not_found, fmt::format("no {}", what));
    }
    auto router = make_router(spec);
    if (!router) {
        co_return router.error();
    }
    std::vector<std::unique_ptr<sdk::router>> clones;
    for (unsigned i = 1; i < _shards.size(); ++i) {
        auto c = (*router)->clone();
        if (!c) {
            co_return c.error();
        }
        clones.push_back(std::move(*c));
    }
    clones.insert(clones.begin(), std::move(*router));
    if (spec.durable && !builtin_exchange_name(spec.name)) {
        if (auto st = co_await persist_one(definition_keys::exchange(spec.vhost, spec.name), encode_exchange(spec));
            !st.ok()) {
            co_return st;
        }
    }
    const bool delayed = spec.type == delayed_type;
    // A delayed exchange's store lives on one shard, as a queue does.
    const unsigned owner =
      delayed ? static_cast<unsigned>(std::hash<std::string>()(spec.vhost + '\0' + spec.name) % _shards.size()) : 0;
    const auto id = make_destination(_next_destination++, owner, destination_kind::exchange);
    if (delayed) {
        if (auto st = co_await create_delay_store(spec, id); !st.ok()) {
            co_return st;
        }
    }
    vh.exchanges[spec.name] = exchange_def{ spec, false, id };
    const std::function<void(unsigned, shard_state&)> for_each_shard_4 = [&](unsigned i, shard_state& s) {
        auto& vr = s.vhosts[spec.vhost];
        auto& replica = vr.exchanges[spec.name];
        replica.router = std::move(clones[i]);
        replica.id = id;
        replica.internal = spec.internal;
        replica.delayed = delayed;
        replica.alternate = header_string(spec.arguments, "alternate-exchange");
        vr.exchanges_by_id[id()] = &replica;
    };
    co_await on_every_shard(for_each_shard_4);
    co_return status{};
}

awaitable<status> broker_core::delete_exchange(std::string vhost, std::string name, bool if_unused)
{
    auto found = find_vhost(vhost);
    if (!found) {
        co_return found.error();
    }
    vhost_def& vh = **found;
    auto it = vh.exchanges.find(name);
    if (it == vh.exchanges.end()) {
        co_return status(errc::not_found, fmt::format("no {}", quoted("exchange", name, vhost)));
    }
    if (it->second.builtin) {
        co_return status(
          errc::forbidden,
          fmt::format("operation not permitted on {}", quoted("exchange", name.empty() ? "amq.default" : name, vhost)));
    }
    auto& bindings = vh.bindings;
    bool used =
      std::any_of(bindings.begin(), bindings.end(), [&](const binding_def& b) { return b.spec.exchange == name; });
    if (if_unused && used) {
        co_return status(errc::precondition_failed, fmt::format("{} in use", quoted("exchange", name, vhost)));
    }
    // Bindings from it go, and so do bindings to it from other exchanges.
    const auto id = it->second.id;
    auto involved = [&](const binding_def& b) { return b.spec.exchange == name || b.destination == id; };
    std::vector<kv_write> forget;
    forget.push_back({ definition_keys::exchange(vhost, name), std::nullopt });
    for (const auto& b : bindings) {
        if (involved(b)) {
            forget.push_back({ definition_keys::binding(b.spec), std::nullopt });
        }
    }
    if (auto st = co_await persist(std::move(forget)); !st.ok()) {
        co_return st;
    }
    std::vector<binding_def> into_it;
    for (const auto& b : bindings) {
        if (b.destination == id && b.spec.exchange != name) {
            into_it.push_back(b);
        }
    }
    std::erase_if(bindings, involved);
    const bool delayed = it->second.spec.type == delayed_type;
    vh.exchanges.erase(it);
    if (delayed) {
        co_await remove_delay_store(vhost, name, id);
    }
    const std::function<void(unsigned, shard_state&)> for_each_shard_5 = [&](unsigned, shard_state& s) {
        auto& vr = s.vhosts[vhost];
        for (const auto& b : into_it) {
            if (auto src = vr.exchanges.find(b.spec.exchange); src != vr.exchanges.end()) {
                src->second.router->unbind(sdk::binding{ b.spec.key, b.destination, b.spec.arguments }).ignore();
            }
        }
        vr.exchanges_by_id.erase(id());
        vr.exchanges.erase(name);
    };
    co_await on_every_shard(for_each_shard_5);
    co_return status{};
}

// ---- queues ------------------------------------------------------------------------------

awaitable<sdk::result<sdk::queue_info>> broker_core::declare_queue(sdk::queue_spec spec, std::optional<unsigned> near)
{
    if (header_string(spec.arguments, "x-queue-type") == "stream") {
        sdk::stream_spec ss;
        ss.vhost = spec.vhost;
        ss.name = spec.name;
        ss.passive = spec.passive;
        ss.storage = resolve_storage(spec.storage, spec.arguments, true);
        ss.forward_exchange = header_string(spec.arguments, "x-plexus-forward-exchange");
        auto s = co_await declare_stream(ss);
        if (!s) {
            co_return s.error();
        }
        sdk::queue_info info;
        info.name = s->name;
        co_return info;
    }
    auto found = find_vhost(spec.vhost);
    if (!found) {
        co_return found.error();
    }
    vhost_def& vh = **found;
    if (spec.name.empty()) {
        static constexpr char alphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-";
        std::random_device rd;
        std::mt19937_64 rng(rd());
        do {
            spec.name = "amq.gen-";
            for (int i = 0; i < 22; ++i) {
                spec.name += alphabet[rng() % (sizeof(alphabet) - 1)];
            }
        } while (vh.queues.count(spec.name) != 0);
    }
    auto what = quoted("queue", spec.name, spec.vhost);
    auto existing = vh.queues.find(spec.name);
    if (existing != vh.queues.end()) {
        const auto& cur = existing->second.options;
        if (cur.exclusive && cur.owner != spec.owner) {
            co_return status(errc::locked, fmt::format("cannot obtain exclusive access to locked {}", what));
        }
        if (!spec.passive) {
            if (cur.durable != spec.durable) {
                co_return status(errc::precondition_failed, inequivalent("durable", what, spec.durable, cur.durable));
            }
            if (cur.exclusive != spec.exclusive) {
                co_return status(errc::precondition_failed,
                                 inequivalent("exclusive", what, spec.exclusive, cur.exclusive));
            }
            if (cur.auto_delete != spec.auto_delete) {
                co_return status(errc::precondition_failed,
                                 inequivalent("auto_delete", what, spec.auto_delete, cur.auto_delete));
            }
            if (auto differs = inequivalent_policy_argument(spec.arguments, cur.arguments, what)) {
                co_return status(errc::precondition_failed, std::move(*differs));
            }
        }
        auto id = cur.id;
        auto owner_work_6 = [this, id, renew = !spec.passive]() -> sdk::result<sdk::queue_info> {
            auto& qs = _states[owner_shard(id)]->queues;
            auto q = qs.find(id());
            if (q == qs.end()) {
                return status(errc::not_found, "queue vanished");
            }
            if (renew) {
                q->second->touch(); // a redeclare renews x-expires (a passive one only looks)
            }
            return q->second->info();
        };
        co_return co_await on_shard(owner_shard(id), owner_work_6);
    }
    if (spec.passive) {
        co_return status(errc::not_found, fmt::format("no {}", what));
    }
    if (vh.streams.count(spec.name) != 0) {
        co_return status(errc::precondition_failed, fmt::format("{} is a stream", what));
    }
    queue_options opts;
    opts.vhost = spec.vhost;
    opts.name = spec.name;
    opts.durable = spec.durable;
    opts.exclusive = spec.exclusive;
    opts.auto_delete = spec.auto_delete;
    opts.owner = spec.owner;
    opts.single_active_consumer = header_bool(spec.arguments, "x-single-active-consumer");
    opts.storage = resolve_storage(spec.storage, spec.arguments, spec.durable);
    opts.arguments = spec.arguments;
    auto policy = parse_queue_policy(spec.arguments, what);
    if (!policy) {
        co_return policy.error();
    }
    opts.policy = std::move(*policy);
    auto* engine = this->engine(opts.storage);
    if (engine == nullptr) {
        co_return status(errc::invalid_argument, fmt::format("unknown storage engine '{}' for {}", opts.storage, what));
    }
    const unsigned owner =
      near && *near < _shards.size()
        ? *near
        : static_cast<unsigned>(std::hash<std::string>()(spec.vhost + '\0' + spec.name) % _shards.size());
    opts.id = make_destination(_next_destination++, owner, destination_kind::queue);

    auto owner_work_7 = [this, owner, opts, engine]() -> sdk::status {
        // A durable queue keeps its acks in its engine's metadata, beside its records.
        const bool keeps_acks = opts.durable && !opts.exclusive && engine->caps().durable;
        const auto max_priority = opts.policy.max_priority;
        auto log_names = queue_log_names(opts.vhost, opts.name, max_priority);
        auto cursor_keys = queue_cursor_keys(opts.vhost, opts.name, max_priority);
        std::vector<lane_storage> lanes;
        lanes.reserve(log_names.size());
        for (std::size_t lane = 0; lane < log_names.size(); ++lane) {
            sdk::log_spec ls;
            ls.name = std::move(log_names[lane]);
            ls.owner = &_shards.at(owner);
            auto log = engine->open_log(ls);
            if (!log) {
                return log.error();
            }
            lanes.push_back(lane_storage{ std::move(*log),
                                          keeps_acks ? &engine->metadata() : nullptr,
                                          keeps_acks ? std::move(cursor_keys[lane]) : std::string() });
        }
        auto q = std::make_shared<queue>(opts, std::move(lanes), _shards.at(owner), make_queue_hooks(owner, opts));
        q->touch(); // x-expires counts from the declare
        _states[owner]->queues[opts.id()] = std::move(q);
        return {};
    };
    auto created = co_await on_shard(owner, owner_work_7);
    if (!created.ok()) {
        co_return created;
    }
    vh.queues[spec.name] = queue_def{ opts };
    const std::function<void(unsigned, shard_state&)> for_each_shard_8 = [&](unsigned, shard_state& s) {
        auto& replica = s.vhosts[spec.vhost];
        replica.queues[spec.name] = opts.id;
        // Every queue is bound to the default exchange by its name (AMQP 0-9-1).
        if (auto ex = replica.exchanges.find(""); ex != replica.exchanges.end()) {
            ex->second.router->bind(sdk::binding{ spec.name, opts.id, {} }).ignore();
        }
    };
    co_await on_every_shard(for_each_shard_8);
    if (opts.durable && !opts.exclusive) {
        sdk::queue_spec stored = spec;
        stored.storage = opts.storage;
        auto st = co_await persist_one(definition_keys::queue(spec.vhost, spec.name), encode_queue(stored));
        if (!st.ok()) {
            (co_await remove_queue(spec.vhost, spec.name)).ignore();
            co_return st;
        }
    }
    sdk::queue_info info;
    info.name = spec.name;
    co_return info;
}

awaitable<status> broker_core::remove_bindings_to(std::string vhost, sdk::destination_id dest)
{
    auto& vh = _catalog[vhost];
    std::vector<binding_def> gone;
    std::vector<kv_write> forget;
    for (const auto& b : vh.bindings) {
        if (b.destination == dest) {
            gone.push_back(b);
            forget.push_back({ definition_keys::binding(b.spec), std::nullopt });
        }
    }
    if (auto st = co_await persist(std::move(forget)); !st.ok()) {
        co_return st;
    }
    std::erase_if(vh.bindings, [&](const binding_def& b) { return b.destination == dest; });
    const std::function<void(unsigned, shard_state&)> for_each_shard_9 = [&](unsigned, shard_state& s) {
        auto& replica = s.vhosts[vhost];
        for (const auto& b : gone) {
            if (auto ex = replica.exchanges.find(b.spec.exchange); ex != replica.exchanges.end()) {
                ex->second.router->unbind(sdk::binding{ b.spec.key, dest, b.spec.arguments }).ignore();
            }
        }
    };
    co_await on_every_shard(for_each_shard_9);
    co_return status{};
}

awaitable<status> broker_core::remove_queue(std::string vhost, std::string name)
{
    auto& vh = _catalog[vhost];
    auto it = vh.queues.find(name);
    if (it == vh.queues.end()) {
        co_return status(errc::not_found, fmt::format("no {}", quoted("queue", name, vhost)));
    }
    auto id = it->second.options.id;
    auto storage = it->second.options.storage;
    const auto max_priority = it->second.options.policy.max_priority;
    if (auto st = co_await remove_bindings_to(vhost, id); !st.ok()) {
        co_return st;
    }
    if (it->second.options.durable) {
        if (auto st = co_await persist_one(definition_keys::queue(vhost, name), std::nullopt); !st.ok()) {
            co_return st;
        }
    }
    const std::function<void(unsigned, shard_state&)> for_each_shard_10 = [&](unsigned, shard_state& s) {
        auto& replica = s.vhosts[vhost];
        replica.queues.erase(name);
        if (auto ex = replica.exchanges.find(""); ex != replica.exchanges.end()) {
            ex->second.router->unbind(sdk::binding{ name, id, {} }).ignore();
        }
    };
    co_await on_every_shard(for_each_shard_10);
    auto owner_work_11 = [&] {
        auto& qs = _states[owner_shard(id)]->queues;
        if (auto q = qs.find(id()); q != qs.end()) {
            q->second->shutdown(status(errc::not_found, fmt::format("{} was deleted", quoted("queue", name, vhost))));
            qs.erase(q);
        }
    };
    co_await on_shard(owner_shard(id), owner_work_11);
    if (auto* e = engine(storage)) {
        for (const auto& log_name : queue_log_names(vhost, name, max_priority)) {
            e->remove_log(log_name).ignore();
        }
        std::vector<kv_write> forget;
        for (auto& key : queue_cursor_keys(vhost, name, max_priority)) {
            forget.push_back({ std::move(key), std::nullopt });
        }
        e->metadata().apply(std::move(forget), [](status) {});
    }
    vh.queues.erase(it);
    co_return status{};
}

awaitable<sdk::result<std::uint64_t>> broker_core::delete_queue(std::string vhost,
                                                                std::string name,
                                                                bool if_unused,
                                                                bool if_empty)
{
    auto found = find_vhost(vhost);
    if (!found) {
        co_return found.error();
    }
    vhost_def& vh = **found;
    auto it = vh.queues.find(name);
    if (it == vh.queues.end()) {
        if (vh.streams.count(name) != 0) {
            auto st = co_await delete_stream(vhost, name);
            if (!st.ok()) {
                co_return st;
            }
            co_return std::uint64_t{ 0 };
        }
        co_return status(errc::not_found, fmt::format("no {}", quoted("queue", name, vhost)));
    }
    auto id = it->second.options.id;
    auto owner_work_12 = [this, id] {
        auto& qs = _states[owner_shard(id)]->queues;
        auto q = qs.find(id());
        return q == qs.end() ? sdk::queue_info{} : q->second->info();
    };
    auto info = co_await on_shard(owner_shard(id), owner_work_12);
    auto what = quoted("queue", name, vhost);
    if (if_unused && info.consumers > 0) {
        co_return status(errc::precondition_failed, fmt::format("{} in use", what));
    }
    if (if_empty && info.messages > 0) {
        co_return status(errc::precondition_failed, fmt::format("{} not empty", what));
    }
    auto st = co_await remove_queue(vhost, name);
    if (!st.ok()) {
        co_return st;
    }
    co_return info.messages;
}

awaitable<sdk::result<std::uint64_t>> broker_core::purge_queue(std::string vhost, std::string name)
{
    auto vh = _catalog.find(vhost);
    if (vh == _catalog.end() || vh->second.queues.count(name) == 0) {
        co_return status(errc::not_found, fmt::format("no {}", quoted("queue", name, vhost)));
    }
    auto id = vh->second.queues[name].options.id;
    auto owner_work_13 = [this, id]() -> sdk::result<std::uint64_t> {
        auto& qs = _states[owner_shard(id)]->queues;
        auto q = qs.find(id());
        if (q == qs.end()) {
            return status(errc::not_found, "queue vanished");
        }
        return q->second->purge();
    };
    co_return co_await on_shard(owner_shard(id), owner_work_13);
}

awaitable<void> broker_core::auto_delete_queue(std::string vhost, std::string name)
{
    const std::function<bool(const queue&)> idle = [](const queue& q) { return q.consumer_count() == 0; };
    co_await remove_queue_if(std::move(vhost), std::move(name), idle);
}

awaitable<void> broker_core::remove_queue_if(std::string vhost,
                                             std::string name,
                                             std::function<bool(const queue&)> still_true)
{
    auto vh = _catalog.find(vhost);
    if (vh == _catalog.end() || vh->second.queues.count(name) == 0) {
        co_return;
    }
    auto id = vh->second.queues[name].options.id;
    auto owner_work_14 = [this, id, still_true] {
        auto& qs = _states[owner_shard(id)]->queues;
        auto q = qs.find(id());
        return q != qs.end() && still_true(*q->second);
    };
    bool doomed = co_await on_shard(owner_shard(id), owner_work_14);
    if (doomed) {
        (co_await remove_queue(vhost, name)).ignore();
    }
}

queue_hooks broker_core::make_queue_hooks(unsigned owner, const queue_options& opts)
{
    queue_hooks hooks;
    // At most once, as RabbitMQ's classic queues dead-letter: the copy is published without
    // a confirm and the original is settled at once.
    hooks.dead_letter = republisher(owner, opts.vhost);
    hooks.expired = [this, vhost = opts.vhost, name = opts.name] {
        PLEXUS_LOG(_log, info, "queue '{}' in vhost '{}' expired (x-expires) and is deleted", name, vhost);
        run_control([this, vhost, name]() -> awaitable<void> {
            const std::function<bool(const queue&)> unused = [](const queue& q) { return q.expired(); };
            co_await remove_queue_if(vhost, name, unused);
        });
    };
    return hooks;
}

awaitable<status> broker_core::create_delay_store(const sdk::exchange_spec& spec, sdk::destination_id id)
{
    const unsigned owner = owner_shard(id);
    auto* engine = this->engine(_config.default_storage);
    auto open_store = [this, owner, engine, spec, id]() -> sdk::status {
        sdk::log_spec ls;
        ls.name = delay_log_name(spec.vhost, spec.name);
        ls.owner = &_shards.at(owner);
        auto log = engine->open_log(ls);
        if (!log) {
            return log.error();
        }
        const bool keeps_acks = spec.durable && engine->caps().durable;
        auto store = std::make_shared<delay_store>(std::move(*log),
                                                   _shards.at(owner),
                                                   keeps_acks ? &engine->metadata() : nullptr,
                                                   keeps_acks ? delay_cursor_key(spec.vhost, spec.name) : std::string(),
                                                   republisher(owner, spec.vhost));
        store->start();
        _states[owner]->delay_stores[id()] = std::move(store);
        return {};
    };
    co_return co_await on_shard(owner, open_store);
}

awaitable<void> broker_core::remove_delay_store(std::string vhost, std::string name, sdk::destination_id id)
{
    auto* engine = this->engine(_config.default_storage);
    auto drop_store = [this, id, engine, vhost, name] {
        auto& stores = _states[owner_shard(id)]->delay_stores;
        if (auto it = stores.find(id()); it != stores.end()) {
            it->second->shutdown();
            stores.erase(it);
        }
        engine->remove_log(delay_log_name(vhost, name)).ignore();
        std::vector<sdk::kv_store::write> forget;
        forget.push_back({ delay_cursor_key(vhost, name), std::nullopt });
        engine->metadata().apply(std::move(forget), [](sdk::status) {});
        return true;
    };
    co_await on_shard(owner_shard(id), drop_store);
}

std::function<void(sdk::message_ptr)> broker_core::republisher(unsigned shard, std::string vhost)
{
    return [this, shard, vhost = std::move(vhost)](sdk::message_ptr msg) {
        if (auto* publisher = _publishers[shard]) {
            sdk::publish_request req;
            req.vhost = vhost;
            req.msg = std::move(msg);
            publisher->publish(std::move(req), {});
        }
    };
}

std::function<void(const sdk::message_ptr&)> broker_core::forwarder(unsigned shard,
                                                                    std::string vhost,
                                                                    std::string stream,
                                                                    std::string exchange)
{
    return [publish = republisher(shard, std::move(vhost)), stream = std::move(stream), exchange = std::move(exchange)](
             const sdk::message_ptr& record) {
        if (sdk::find_header(record->headers_, forwarded_from_header) != nullptr) {
            return; // a forwarded copy is not forwarded again: no cycle through two streams
        }
        auto copy = std::make_shared<sdk::message>(*record);
        copy->exchange = exchange;
        copy->headers_.push_back({ std::string(forwarded_from_header), stream });
        publish(std::move(copy));
    };
}

void broker_core::attach_publisher(unsigned shard, sdk::kernel* publisher) noexcept
{
    _publishers.at(shard) = publisher;
}

awaitable<void> broker_core::release_connection(std::uint64_t connection)
{
    std::vector<std::pair<std::string, std::string>> doomed;
    for (const auto& [vhost, vh] : _catalog) {
        for (const auto& [name, q] : vh.queues) {
            if (q.options.exclusive && q.options.owner == connection) {
                doomed.emplace_back(vhost, name);
            }
        }
    }
    for (const auto& [vhost, name] : doomed) {
        (co_await remove_queue(vhost, name)).ignore();
    }
}

// ---- streams -----------------------------------------------------------------------------

awaitable<sdk::result<sdk::stream_info>> broker_core::declare_stream(sdk::stream_spec spec)
{
    auto found = find_vhost(spec.vhost);
    if (!found) {
        co_return found.error();
    }
    vhost_def& vh = **found;
    auto what = quoted("stream", spec.name, spec.vhost);
    if (spec.name.empty()) {
        co_return status(errc::invalid_argument, "a stream needs a name");
    }
    if (auto it = vh.streams.find(spec.name); it != vh.streams.end()) {
        const auto& known = it->second.spec;
        co_return stream_info_of(known);
    }
    if (spec.passive) {
        co_return status(errc::not_found, fmt::format("no {}", what));
    }
    if (vh.queues.count(spec.name) != 0) {
        co_return status(errc::precondition_failed, fmt::format("{} is a queue", what));
    }
    if (spec.partitions < 1 || spec.partitions > 100000) {
        co_return status(errc::invalid_argument, fmt::format("{}: partitions must be 1..100000", what));
    }
    if (!spec.forward_exchange.empty() && vh.exchanges.count(spec.forward_exchange) == 0) {
        co_return status(errc::not_found,
                         fmt::format("{} cannot forward to exchange '{}': there is none", what, spec.forward_exchange));
    }
    spec.storage = resolve_storage(spec.storage, {}, true); // a stream is always durable
    auto* engine = this->engine(spec.storage);
    if (engine == nullptr) {
        co_return status(errc::invalid_argument, fmt::format("unknown storage engine '{}' for {}", spec.storage, what));
    }
    stream_def def;
    def.spec = spec;
    def.id = make_destination(_next_destination++, 0, destination_kind::stream);
    for (std::int32_t p = 0; p < spec.partitions; ++p) {
        auto pid = co_await open_partition(spec, p, engine);
        if (!pid) {
            co_return pid.error();
        }
        def.partitions.push_back(*pid);
    }
    vh.streams[spec.name] = def;
    const std::function<void(unsigned, shard_state&)> for_each_shard_16 = [&](unsigned, shard_state& s) {
        auto& replica = s.vhosts[spec.vhost];
        replica.streams[spec.name] = stream_replica{ def.id, spec.storage };
        // As a queue, and as RabbitMQ's streams: bound to the default exchange by its name.
        if (auto ex = replica.exchanges.find(""); ex != replica.exchanges.end()) {
            ex->second.router->bind(sdk::binding{ spec.name, def.id, {} }).ignore();
        }
        s.stream_partitions[def.id()] = def.partitions;
    };
    co_await on_every_shard(for_each_shard_16);
    if (auto st = co_await persist_one(definition_keys::stream(spec.vhost, spec.name), encode_stream(spec)); !st.ok()) {
        (co_await delete_stream(spec.vhost, spec.name)).ignore();
        co_return st;
    }
    co_return stream_info_of(spec);
}

awaitable<sdk::result<sdk::destination_id>> broker_core::open_partition(const sdk::stream_spec& spec,
                                                                        std::int32_t p,
                                                                        sdk::storage_engine* engine)
{
    std::size_t base = std::hash<std::string>()(spec.vhost + '\0' + spec.name);
    unsigned owner = static_cast<unsigned>((base + p) % _shards.size());
    auto pid = make_destination(_next_destination++, owner, destination_kind::partition);
    stream_options so;
    so.vhost = spec.vhost;
    so.name = spec.name;
    so.partition = sdk::partition_id(p);
    so.storage = spec.storage;
    so.retention_ms = spec.retention_ms;
    so.retention_bytes = spec.retention_bytes;
    so.compact = spec.compact;
    so.delete_retention_ms = spec.delete_retention_ms;
    so.segment_bytes = spec.segment_bytes;
    so.engine = engine;
    so.compaction_interval = std::chrono::milliseconds(_config.compaction_interval_ms);
    so.logger = &_log;
    so.formats = &_formats;
    if (!spec.forward_exchange.empty()) {
        so.forward = forwarder(owner, spec.vhost, spec.name, spec.forward_exchange);
    }
    auto owner_work = [this, owner, so, pid, engine]() mutable -> status {
        // A compacted partition lives in the log of its latest generation.
        auto generation = stored_generation(engine->metadata(), so.vhost, so.name, so.partition());
        if (!generation) {
            return generation.error();
        }
        so.generation = *generation;
        sdk::log_spec ls;
        ls.name = partition_log_name(so.vhost, so.name, so.partition(), so.generation);
        ls.owner = &_shards.at(owner);
        ls.segment_bytes = so.segment_bytes;
        auto log = engine->open_log(ls);
        if (!log) {
            return log.error();
        }
        _states[owner]->partitions[pid()] = std::make_shared<stream_partition>(so, std::move(*log), _shards.at(owner));
        return {};
    };
    auto st = co_await on_shard(owner, owner_work);
    if (!st.ok()) {
        co_return st;
    }
    co_return pid;
}

awaitable<sdk::result<sdk::stream_info>> broker_core::add_stream_partitions(std::string vhost,
                                                                            std::string name,
                                                                            std::int32_t partitions)
{
    auto what = quoted("stream", name, vhost);
    auto found = find_stream(vhost, name);
    if (!found) {
        co_return found.error();
    }
    stream_def& stream = **found;
    stream_def def = stream;
    if (partitions <= def.spec.partitions || partitions > 100000) {
        co_return status(errc::invalid_argument,
                         fmt::format("{} has {} partitions: it can grow to at most 100000, not shrink or stay",
                                     what,
                                     def.spec.partitions));
    }
    auto* engine = this->engine(def.spec.storage);
    if (engine == nullptr) {
        co_return status(errc::internal, fmt::format("{}: its storage engine is gone", what));
    }
    for (std::int32_t p = def.spec.partitions; p < partitions; ++p) {
        auto pid = co_await open_partition(def.spec, p, engine);
        if (!pid) {
            // The partitions opened so far stay unrouted; a retry opens their logs again.
            co_return pid.error();
        }
        def.partitions.push_back(*pid);
    }
    def.spec.partitions = partitions;
    if (auto st = co_await persist_one(definition_keys::stream(vhost, name), encode_stream(def.spec)); !st.ok()) {
        co_return st;
    }
    stream = def;
    const std::function<void(unsigned, shard_state&)> for_each_shard = [&](unsigned, shard_state& s) {
        s.stream_partitions[def.id()] = def.partitions;
    };
    co_await on_every_shard(for_each_shard);
    const auto& spec = def.spec;
    co_return stream_info_of(spec);
}

awaitable<sdk::result<sdk::stream_info>> broker_core::set_stream_config(std::string vhost,
                                                                        std::string name,
                                                                        sdk::stream_config config)
{
    auto found = find_stream(vhost, name);
    if (!found) {
        co_return found.error();
    }
    stream_def& stream = **found;
    sdk::stream_spec spec = stream.spec;
    spec.retention_ms = config.retention_ms;
    spec.retention_bytes = config.retention_bytes;
    spec.compact = config.compact;
    spec.delete_retention_ms = config.delete_retention_ms;
    // Stored first: a restart must not bring back the limits a client was told are gone.
    if (auto st = co_await persist_one(definition_keys::stream(vhost, name), encode_stream(spec)); !st.ok()) {
        co_return st;
    }
    stream.spec = spec;
    for (auto pid : stream.partitions) {
        auto owner_work = [this, pid, config] {
            auto& ps = _states[owner_shard(pid)]->partitions;
            if (auto p = ps.find(pid()); p != ps.end()) {
                p->second->set_config(config);
            }
        };
        co_await on_shard(owner_shard(pid), owner_work);
    }
    co_return stream_info_of(spec);
}

awaitable<status> broker_core::delete_stream(std::string vhost, std::string name)
{
    auto found = find_stream(vhost, name);
    if (!found) {
        co_return found.error();
    }
    stream_def& stream = **found;
    stream_def def = stream;
    if (auto st = co_await remove_bindings_to(vhost, def.id); !st.ok()) {
        co_return st;
    }
    if (auto st = co_await persist_one(definition_keys::stream(vhost, name), std::nullopt); !st.ok()) {
        co_return st;
    }
    const std::function<void(unsigned, shard_state&)> for_each_shard_17 = [&](unsigned, shard_state& s) {
        auto& replica = s.vhosts[vhost];
        if (auto ex = replica.exchanges.find(""); ex != replica.exchanges.end()) {
            ex->second.router->unbind(sdk::binding{ name, def.id, {} }).ignore();
        }
        replica.streams.erase(name);
        s.stream_partitions.erase(def.id());
    };
    co_await on_every_shard(for_each_shard_17);
    for (auto pid : def.partitions) {
        auto owner_work_18 = [&, pid] {
            auto& ps = _states[owner_shard(pid)]->partitions;
            if (auto p = ps.find(pid()); p != ps.end()) {
                p->second->shutdown(
                  status(errc::not_found, fmt::format("{} was deleted", quoted("stream", name, vhost))));
                ps.erase(p);
            }
        };
        co_await on_shard(owner_shard(pid), owner_work_18);
    }
    if (auto* e = engine(def.spec.storage)) {
        std::vector<sdk::kv_store::write> forget;
        for (std::int32_t p = 0; p < def.spec.partitions; ++p) {
            // The generation in use, the one it replaced and one a compaction was making.
            const auto stored = stored_generation(e->metadata(), vhost, name, p);
            const std::uint64_t generation = stored ? *stored : 0;
            for (auto g = generation == 0 ? 0 : generation - 1; g <= generation + 1; ++g) {
                e->remove_log(partition_log_name(vhost, name, p, g)).ignore();
            }
            if (generation != 0) {
                forget.push_back({ partition_generation_key(vhost, name, p), std::nullopt });
            }
        }
        if (!forget.empty()) {
            (co_await apply_and_wait(e->metadata(), std::move(forget))).ignore();
        }
    }
    if (auto vh = find_vhost(vhost)) {
        (*vh)->streams.erase(name);
    }
    co_return status{};
}

// ---- bindings ----------------------------------------------------------------------------

awaitable<status> broker_core::bind(sdk::binding_spec spec)
{
    auto found = find_vhost(spec.vhost);
    if (!found) {
        co_return found.error();
    }
    vhost_def& vh = **found;
    if (spec.exchange.empty()) {
        co_return status(errc::forbidden, fmt::format("operation not permitted on the default exchange"));
    }
    if (vh.exchanges.count(spec.exchange) == 0) {
        co_return status(errc::not_found, fmt::format("no {}", quoted("exchange", spec.exchange, spec.vhost)));
    }
    sdk::destination_id dest;
    if (spec.destination_is_exchange) {
        auto to = vh.exchanges.find(spec.destination);
        if (spec.destination.empty()) {
            co_return status(errc::forbidden, "operation not permitted on the default exchange");
        }
        if (to == vh.exchanges.end()) {
            co_return status(errc::not_found, fmt::format("no {}", quoted("exchange", spec.destination, spec.vhost)));
        }
        dest = to->second.id;
    } else if (!spec.destination_is_stream && vh.queues.count(spec.destination) != 0) {
        dest = vh.queues[spec.destination].options.id;
    } else if (vh.streams.count(spec.destination) != 0) {
        dest = vh.streams[spec.destination].id;
        spec.destination_is_stream = true;
    } else {
        co_return status(
          errc::not_found,
          fmt::format("no {}", quoted(spec.destination_is_stream ? "stream" : "queue", spec.destination, spec.vhost)));
    }
    auto& bindings = vh.bindings;
    bool exists = std::any_of(bindings.begin(), bindings.end(), [&](const binding_def& b) {
        return b.destination == dest && b.spec.exchange == spec.exchange && b.spec.key == spec.key &&
               b.spec.arguments == spec.arguments;
    });
    if (exists) {
        co_return status{};
    }
    if (binding_is_durable(vh, spec)) {
        if (auto st = co_await persist_one(definition_keys::binding(spec), encode_binding(spec)); !st.ok()) {
            co_return st;
        }
    }
    status failed;
    const std::function<void(unsigned, shard_state&)> for_each_shard_19 = [&](unsigned, shard_state& s) {
        auto& ex = s.vhosts[spec.vhost].exchanges[spec.exchange];
        if (auto st = ex.router->bind(sdk::binding{ spec.key, dest, spec.arguments }); !st.ok()) {
            failed = st;
        }
    };
    co_await on_every_shard(for_each_shard_19);
    if (!failed.ok()) {
        if (binding_is_durable(vh, spec)) {
            (co_await persist_one(definition_keys::binding(spec), std::nullopt)).ignore();
        }
        co_return failed;
    }
    bindings.push_back(binding_def{ spec, dest });
    co_return status{};
}

awaitable<status> broker_core::unbind(sdk::binding_spec spec)
{
    auto found = find_vhost(spec.vhost);
    if (!found) {
        co_return found.error();
    }
    vhost_def& vh = **found;
    auto& bindings = vh.bindings;
    auto it = std::find_if(bindings.begin(), bindings.end(), [&](const binding_def& b) {
        return b.spec.exchange == spec.exchange && b.spec.destination == spec.destination &&
               b.spec.destination_is_exchange == spec.destination_is_exchange && b.spec.key == spec.key &&
               (spec.arguments.empty() || b.spec.arguments == spec.arguments);
    });
    if (it == bindings.end()) {
        co_return status(
          errc::not_found,
          fmt::format(
            "no binding {} -> {} with key '{}' in vhost '{}'", spec.exchange, spec.destination, spec.key, spec.vhost));
    }
    binding_def gone = *it;
    if (binding_is_durable(vh, gone.spec)) {
        if (auto st = co_await persist_one(definition_keys::binding(gone.spec), std::nullopt); !st.ok()) {
            co_return st;
        }
    }
    bindings.erase(it);
    const std::function<void(unsigned, shard_state&)> for_each_shard_20 = [&](unsigned, shard_state& s) {
        auto& replica = s.vhosts[spec.vhost];
        if (auto ex = replica.exchanges.find(gone.spec.exchange); ex != replica.exchanges.end()) {
            ex->second.router->unbind(sdk::binding{ gone.spec.key, gone.destination, gone.spec.arguments }).ignore();
        }
    };
    co_await on_every_shard(for_each_shard_20);
    co_return status{};
}

// ---- restart -------------------------------------------------------------------------------

awaitable<status> broker_core::restore_definitions()
{
    auto rows = engine(_config.default_storage)->metadata().scan(definition_keys::all);
    if (!rows) {
        co_return rows.error();
    }
    auto defs = decode_definitions(*rows);
    if (!defs) {
        co_return defs.error();
    }
    // Re-created definitions are already stored: the control operations must not write them.
    struct restoring_scope
    {
        bool& flag;
        ~restoring_scope() { flag = false; }
    } scope{ _restoring };
    _restoring = true;
    auto refused = [](std::string_view what, const status& st) {
        return status(errc::precondition_failed, fmt::format("stored {} cannot be restored: {}", what, st.message()));
    };
    for (const auto& vhost : defs->vhosts) {
        if (auto st = co_await declare_vhost(vhost); !st.ok()) {
            co_return refused(fmt::format("vhost '{}'", vhost), st);
        }
    }
    for (const auto& x : defs->exchanges) {
        if (auto st = co_await declare_exchange(x); !st.ok()) {
            co_return refused(quoted("exchange", x.name, x.vhost), st);
        }
    }
    for (const auto& q : defs->queues) {
        if (auto r = co_await declare_queue(q); !r) {
            co_return refused(quoted("queue", q.name, q.vhost), r.error());
        }
    }
    for (const auto& st_spec : defs->streams) {
        if (auto r = co_await declare_stream(st_spec); !r) {
            co_return refused(quoted("stream", st_spec.name, st_spec.vhost), r.error());
        }
    }
    for (const auto& b : defs->bindings) {
        if (auto st = co_await bind(b); !st.ok()) {
            co_return refused(fmt::format("binding {} -> {} in vhost '{}'", b.exchange, b.destination, b.vhost), st);
        }
    }
    if (auto st = co_await migrate_group_offsets(); !st.ok()) {
        co_return st;
    }
    remove_stray_logs();
    PLEXUS_LOG(_log,
               info,
               "restored {} vhost(s), {} exchange(s), {} queue(s), {} stream(s), {} binding(s)",
               defs->vhosts.size(),
               defs->exchanges.size(),
               defs->queues.size(),
               defs->streams.size(),
               defs->bindings.size());
    co_return status{};
}

void broker_core::remove_stray_logs()
{
    // Logs of queues and streams that exist now; any other queue or stream log is what a
    // transient queue or a deleted stream left behind when the broker last stopped.
    std::map<std::string, std::set<std::string>> live;
    for (const auto& [vname, vh] : _catalog) {
        for (const auto& [name, q] : vh.queues) {
            for (auto& log_name : queue_log_names(vname, name, q.options.policy.max_priority)) {
                live[q.options.storage].insert(std::move(log_name));
            }
        }
        for (const auto& [name, st] : vh.streams) {
            auto* e = engine(st.spec.storage);
            for (std::int32_t p = 0; p < st.spec.partitions; ++p) {
                std::uint64_t generation = 0;
                if (e != nullptr) {
                    if (auto stored = stored_generation(e->metadata(), vname, name, p)) {
                        generation = *stored;
                    }
                }
                live[st.spec.storage].insert(partition_log_name(vname, name, p, generation));
            }
        }
        for (const auto& [name, ex] : vh.exchanges) {
            if (ex.spec.type == delayed_type) {
                live[_config.default_storage].insert(delay_log_name(vname, name));
            }
        }
    }
    for (auto& [engine_name, e] : _engines) {
        auto logs = e->list_logs();
        if (!logs) {
            PLEXUS_LOG(_log, warn, "storage engine '{}': cannot list logs: {}", engine_name, logs.error().to_string());
            continue;
        }
        const auto& keep = live[engine_name];
        for (const auto& name : *logs) {
            if ((is_queue_log_name(name) || name.starts_with("s/") || name.starts_with("xd/")) &&
                keep.count(name) == 0) {
                if (auto st = e->remove_log(name); !st.ok()) {
                    PLEXUS_LOG(
                      _log, warn, "storage engine '{}': cannot remove log '{}': {}", engine_name, name, st.to_string());
                } else {
                    PLEXUS_LOG(
                      _log, debug, "storage engine '{}': removed log '{}' of a transient queue", engine_name, name);
                }
            }
        }
    }
}

// ---- lifecycle ---------------------------------------------------------------------------

void broker_core::drain_and_flush(std::chrono::milliseconds deadline)
{
    for (unsigned i = 0; i < _shards.size(); ++i) {
        auto done = std::make_shared<std::promise<void>>();
        auto fut = done->get_future();
        boost::asio::post(_shards.context(i), [this, i, done] {
            auto& st = *_states[i];
            st.retention_timer.reset();
            auto remaining = std::make_shared<std::size_t>(st.queues.size() + st.partitions.size() + 1);
            auto finish = [remaining, done](sdk::status) {
                if (--*remaining == 0) {
                    done->set_value();
                }
            };
            for (auto& [id, q] : st.queues) {
                q->save_cursor();
                q->flush(finish);
            }
            for (auto& [id, p] : st.partitions) {
                p->flush(finish);
            }
            finish({});
        });
        if (fut.wait_for(deadline) != std::future_status::ready) {
            PLEXUS_LOG(_log, warn, "shard {} did not flush within {} ms", i, deadline.count());
        }
    }
    for (unsigned i = 0; i < _shards.size(); ++i) {
        auto fut = boost::asio::post(_shards.context(i), boost::asio::use_future([this, i] {
                                         auto& st = *_states[i];
                                         sdk::status why(errc::unavailable, "broker shutting down");
                                         for (auto& [id, q] : st.queues) {
                                             q->shutdown(why);
                                         }
                                         for (auto& [id, p] : st.partitions) {
                                             p->shutdown(why);
                                         }
                                         for (auto& [id, d] : st.delay_stores) {
                                             d->shutdown();
                                         }
                                     }));
        fut.wait_for(deadline);
    }
}

void broker_core::on_alarms_changed(unsigned shard, std::function<void(sdk::resource_alarms)> listener)
{
    _alarm_listeners.resize(std::max<std::size_t>(_alarm_listeners.size(), shard + 1));
    _alarm_listeners[shard] = std::move(listener);
}

void broker_core::check_disk()
{
    const auto changed = _disk_alarm.check();
    if (changed != disk_alarm::change::none) {
        const auto now = alarms();
        for (unsigned i = 0; i < _alarm_listeners.size(); ++i) {
            if (_alarm_listeners[i]) {
                boost::asio::post(_shards.context(i), [this, i, now] { _alarm_listeners[i](now); });
            }
        }
    }
    switch (changed) {
        case disk_alarm::change::raised:
            _disk_alarm_gauge.add(1);
            PLEXUS_LOG(
              _log, warn, "disk alarm raised: {}; publishes are refused until space returns", _disk_alarm.describe());
            break;
        case disk_alarm::change::cleared:
            _disk_alarm_gauge.add(-1);
            PLEXUS_LOG(_log,
                       info,
                       "disk alarm cleared: {} bytes free; publishes are accepted again",
                       _disk_alarm.last_free_bytes());
            break;
        case disk_alarm::change::none:
            break;
    }
}

void broker_core::start_retention_timers()
{
    for (unsigned i = 0; i < _shards.size(); ++i) {
        boost::asio::post(_shards.context(i), [this, i] {
            struct ticker
            {
                broker_core* core;
                unsigned shard;
                void operator()() const
                {
                    auto& st = *core->_states[shard];
                    auto now = sdk::timestamp_ms(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                   std::chrono::system_clock::now().time_since_epoch())
                                                   .count());
                    for (auto& [id, p] : st.partitions) {
                        p->apply_retention(now);
                    }
                    for (auto& [id, q] : st.queues) {
                        q->save_cursor();
                    }
                    if (shard == 0) {
                        core->check_disk();
                    }
                    st.retention_timer = core->_shards.at(shard).post_after(std::chrono::seconds(1), ticker{ *this });
                }
            };
            ticker{ this, i }();
        });
    }
}

} // namespace plexus::kernel
