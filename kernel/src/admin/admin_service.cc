#include "kernel/src/admin/admin_service.h"

#include <fmt/format.h>

#include <future>

namespace plexus::kernel {

using sdk::errc;

admin_service::admin_service(broker_core& core,
                             sdk::kernel& facade,
                             std::function<std::vector<std::pair<std::string, std::uint16_t>>()> listeners)
  : _core(core)
  , _facade(facade)
  , _listeners(std::move(listeners))
{
}

template<class T>
T admin_service::wait(std::function<awaitable<T>()> op)
{
    auto promise = std::make_shared<std::promise<T>>();
    auto future = promise->get_future();
    _core.run_control([promise, op = std::move(op)]() -> awaitable<void> { promise->set_value(co_await op()); });
    return future.get();
}

namespace {

// Calls a facade verb from a non-shard thread and waits for its callback.
template<class T, class Call>
T call_facade(sdk::kernel& k, Call call)
{
    auto promise = std::make_shared<std::promise<T>>();
    auto future = promise->get_future();
    k.shard().post([&k, promise, call = std::move(call)]() mutable {
        call(k, [promise](T v) { promise->set_value(std::move(v)); });
    });
    return future.get();
}

bool vhost_matches(const std::string& filter, const std::string& vhost)
{
    return filter.empty() || filter == vhost;
}

} // namespace

broker_status admin_service::status()
{
    broker_status s;
    s.version = "0.1.0";
    s.shards = _core.shards().size();
    s.uptime_ms = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - _started).count());
    s.vhosts = list_vhosts();
    s.listeners = _listeners();
    return s;
}

std::vector<std::string> admin_service::list_vhosts()
{
    return wait<std::vector<std::string>>([this]() -> awaitable<std::vector<std::string>> {
        std::vector<std::string> out;
        for (const auto& [name, vh] : _core.catalog()) {
            out.push_back(name);
        }
        co_return out;
    });
}

sdk::status admin_service::declare_vhost(const std::string& name)
{
    return wait<sdk::status>([this, name] { return _core.declare_vhost(name); });
}

sdk::status admin_service::delete_vhost(const std::string& name)
{
    return wait<sdk::status>([this, name] { return _core.delete_vhost(name); });
}

sdk::result<std::vector<exchange_summary>> admin_service::list_exchanges(const std::string& vhost)
{
    using R = sdk::result<std::vector<exchange_summary>>;
    return wait<R>([this, vhost]() -> awaitable<R> {
        if (!vhost.empty() && _core.catalog().count(vhost) == 0) {
            co_return sdk::status(errc::not_found, fmt::format("no vhost '{}'", vhost));
        }
        std::vector<exchange_summary> out;
        for (const auto& [vname, vh] : _core.catalog()) {
            if (!vhost_matches(vhost, vname)) {
                continue;
            }
            for (const auto& [name, ex] : vh.exchanges) {
                exchange_summary e{
                    vname, name, ex.spec.type, ex.spec.durable, ex.spec.auto_delete, ex.spec.internal, 0
                };
                for (const auto& b : vh.bindings) {
                    e.bindings += b.spec.exchange == name ? 1 : 0;
                }
                out.push_back(std::move(e));
            }
        }
        co_return out;
    });
}

sdk::result<std::vector<queue_summary>> admin_service::list_queues(const std::string& vhost)
{
    using R = sdk::result<std::vector<queue_summary>>;
    return wait<R>([this, vhost]() -> awaitable<R> {
        if (!vhost.empty() && _core.catalog().count(vhost) == 0) {
            co_return sdk::status(errc::not_found, fmt::format("no vhost '{}'", vhost));
        }
        std::vector<queue_summary> out;
        std::vector<sdk::destination_id> ids;
        for (const auto& [vname, vh] : _core.catalog()) {
            if (!vhost_matches(vhost, vname)) {
                continue;
            }
            for (const auto& [name, q] : vh.queues) {
                const auto& o = q.options;
                out.push_back(
                  { vname, name, o.durable, o.exclusive, o.auto_delete, o.storage, 0, 0, 0, owner_shard(o.id) });
                ids.push_back(o.id);
            }
        }
        for (std::size_t i = 0; i < ids.size(); ++i) {
            auto id = ids[i];
            auto owner_work_1 = [this, id] {
                auto& qs = _core.state(owner_shard(id)).queues;
                auto q = qs.find(id());
                return q == qs.end() ? sdk::queue_info{} : q->second->info();
            };
            auto info = co_await _core.on_shard(owner_shard(id), owner_work_1);
            out[i].messages = info.messages;
            out[i].unacked = info.unacked;
            out[i].consumers = info.consumers;
        }
        co_return out;
    });
}

sdk::result<std::vector<stream_summary>> admin_service::list_streams(const std::string& vhost)
{
    using R = sdk::result<std::vector<stream_summary>>;
    return wait<R>([this, vhost]() -> awaitable<R> {
        if (!vhost.empty() && _core.catalog().count(vhost) == 0) {
            co_return sdk::status(errc::not_found, fmt::format("no vhost '{}'", vhost));
        }
        std::vector<stream_summary> out;
        for (const auto& [vname, vh] : _core.catalog()) {
            if (!vhost_matches(vhost, vname)) {
                continue;
            }
            for (const auto& [name, s] : vh.streams) {
                stream_summary sum{ vname, name, s.spec.partitions, s.spec.storage, 0, 0 };
                for (auto pid : s.partitions) {
                    auto owner_work_2 = [this, pid] {
                        auto& ps = _core.state(owner_shard(pid)).partitions;
                        auto p = ps.find(pid());
                        if (p == ps.end()) {
                            return std::pair<std::uint64_t, std::uint64_t>{ 0, 0 };
                        }
                        auto o = p->second->offsets();
                        return std::pair<std::uint64_t, std::uint64_t>{ static_cast<std::uint64_t>(o.next - o.start),
                                                                        p->second->size_bytes() };
                    };
                    auto [records, bytes] = co_await _core.on_shard(owner_shard(pid), owner_work_2);
                    sum.records += records;
                    sum.bytes += bytes;
                }
                out.push_back(std::move(sum));
            }
        }
        co_return out;
    });
}

sdk::result<std::vector<binding_summary>> admin_service::list_bindings(const std::string& vhost)
{
    using R = sdk::result<std::vector<binding_summary>>;
    return wait<R>([this, vhost]() -> awaitable<R> {
        if (!vhost.empty() && _core.catalog().count(vhost) == 0) {
            co_return sdk::status(errc::not_found, fmt::format("no vhost '{}'", vhost));
        }
        std::vector<binding_summary> out;
        for (const auto& [vname, vh] : _core.catalog()) {
            if (!vhost_matches(vhost, vname)) {
                continue;
            }
            for (const auto& b : vh.bindings) {
                out.push_back({ vname, b.spec.exchange, b.spec.destination, b.spec.destination_is_stream, b.spec.key });
            }
        }
        co_return out;
    });
}

sdk::status admin_service::declare_exchange(const sdk::exchange_spec& spec)
{
    return wait<sdk::status>([this, spec] { return _core.declare_exchange(spec); });
}

sdk::status admin_service::delete_exchange(const std::string& vhost, const std::string& name)
{
    return wait<sdk::status>([this, vhost, name] { return _core.delete_exchange(vhost, name, false); });
}

sdk::result<sdk::queue_info> admin_service::declare_queue(const sdk::queue_spec& spec)
{
    return wait<sdk::result<sdk::queue_info>>([this, spec] { return _core.declare_queue(spec); });
}

sdk::result<std::uint64_t> admin_service::delete_queue(const std::string& vhost, const std::string& name)
{
    return wait<sdk::result<std::uint64_t>>(
      [this, vhost, name] { return _core.delete_queue(vhost, name, false, false); });
}

sdk::result<std::uint64_t> admin_service::purge_queue(const std::string& vhost, const std::string& name)
{
    return wait<sdk::result<std::uint64_t>>([this, vhost, name] { return _core.purge_queue(vhost, name); });
}

sdk::result<sdk::stream_info> admin_service::declare_stream(const sdk::stream_spec& spec)
{
    return wait<sdk::result<sdk::stream_info>>([this, spec] { return _core.declare_stream(spec); });
}

sdk::status admin_service::delete_stream(const std::string& vhost, const std::string& name)
{
    return wait<sdk::status>([this, vhost, name] { return _core.delete_stream(vhost, name); });
}

sdk::status admin_service::bind(const sdk::binding_spec& spec)
{
    return wait<sdk::status>([this, spec] { return _core.bind(spec); });
}

sdk::status admin_service::unbind(const sdk::binding_spec& spec)
{
    return wait<sdk::status>([this, spec] { return _core.unbind(spec); });
}

sdk::result<sdk::publish_ack> admin_service::publish(const std::string& vhost,
                                                     const std::string& exchange,
                                                     const std::string& routing_key,
                                                     const std::string& body,
                                                     const sdk::headers& headers,
                                                     const sdk::message_properties& props)
{
    auto msg = std::make_shared<sdk::message>();
    msg->exchange = exchange;
    msg->routing_key = routing_key;
    msg->timestamp = sdk::timestamp_ms(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count());
    msg->properties = props;
    msg->headers_ = headers;
    msg->body = sdk::buffer_chain::copy_of(body);
    sdk::publish_request req;
    req.vhost = vhost;
    req.msg = std::move(msg);
    // A persistent message is answered once durable, as an AMQP confirm would be.
    req.level = props.persistent ? sdk::ack_level::durable : sdk::ack_level::stored;
    using R = sdk::result<sdk::publish_ack>;
    return call_facade<R>(_facade, [req = std::move(req)](sdk::kernel& k, auto done) mutable {
        k.publish(std::move(req), std::move(done));
    });
}

sdk::result<std::vector<sdk::fetched_message>> admin_service::get(const std::string& vhost,
                                                                  const std::string& queue,
                                                                  std::uint32_t count,
                                                                  bool ack)
{
    using R = sdk::result<std::optional<sdk::fetched_message>>;
    std::vector<sdk::fetched_message> out;
    for (std::uint32_t i = 0; i < count; ++i) {
        auto r = call_facade<R>(_facade, [vhost, queue, ack](sdk::kernel& k, auto done) mutable {
            k.get(vhost, queue, ack, std::move(done));
        });
        if (!r) {
            return r.error();
        }
        if (!*r) {
            break;
        }
        out.push_back(std::move(**r));
    }
    if (!ack) {
        // RabbitMQ's ack_requeue_true: hand the messages back, marked redelivered.
        for (const auto& m : out) {
            _facade.shard().post(
              [&k = _facade, vhost, queue, tag = m.d.tag] { k.settle(vhost, queue, tag, sdk::settlement::requeue); });
        }
    }
    return out;
}

std::string admin_service::metrics_text()
{
    return _core.metrics().render_prometheus();
}

} // namespace plexus::kernel
