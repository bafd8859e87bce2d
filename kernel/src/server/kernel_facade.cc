#include "kernel/src/server/kernel_facade.h"

#include "kernel/src/server/exchange_routing.h"
#include "kernel/src/server/group_offset_keys.h"

#include <fmt/format.h>

namespace plexus::kernel {

using sdk::errc;
using sdk::status;

namespace {

struct settle_op
{
    std::uint64_t tag;
    bool multiple;
    settle_kind kind;
};

// Acks from one subscription are gathered during an event-loop turn and sent to the owner
// shard in one hop.
struct settle_buffer
{
    broker_core* core;
    sdk::destination_id dest;
    bool stream;
    std::uint64_t consumer = 0;
    std::vector<settle_op> ops;

    void send()
    {
        if (ops.empty()) {
            return;
        }
        auto owner = owner_shard(dest);
        core->shards().at(owner).post(
          [core = core, dest = dest, stream = stream, consumer = consumer, ops = std::move(ops)]() mutable {
              auto& st = core->state(owner_shard(dest));
              if (stream) {
                  if (auto p = st.partitions.find(dest()); p != st.partitions.end()) {
                      for (const auto& op : ops) {
                          p->second->settle(consumer, op.tag, op.multiple);
                      }
                  }
              } else if (auto q = st.queues.find(dest()); q != st.queues.end()) {
                  for (const auto& op : ops) {
                      q->second->settle(consumer, op.tag, op.multiple, op.kind);
                  }
              }
          });
        ops.clear();
    }
};

class subscription_impl final : public sdk::subscription
{
  public:
    subscription_impl(broker_core& core,
                      shard_executor& home,
                      std::shared_ptr<subscriber_link> link,
                      sdk::destination_id dest,
                      bool stream)
      : _home(home)
      , _link(std::move(link))
      , _settles(std::make_shared<settle_buffer>(settle_buffer{ &core, dest, stream, 0, {} }))
    {
    }
    ~subscription_impl() override
    {
        _link->alive = false;
        _settles->send();
        auto* core = _settles->core;
        auto dest = _settles->dest;
        auto consumer = _settles->consumer;
        bool stream = _settles->stream;
        core->shards().at(owner_shard(dest)).post([core, dest, consumer, stream] {
            auto& st = core->state(owner_shard(dest));
            if (stream) {
                if (auto p = st.partitions.find(dest()); p != st.partitions.end()) {
                    p->second->remove_subscriber(consumer);
                }
                return;
            }
            auto q = st.queues.find(dest());
            if (q == st.queues.end()) {
                return;
            }
            bool now_idle = q->second->remove_consumer(consumer);
            const auto& o = q->second->options();
            if (now_idle && o.auto_delete) {
                core->run_control([core, vhost = o.vhost, name = o.name]() -> awaitable<void> {
                    co_await core->auto_delete_queue(vhost, name);
                });
            }
        });
    }
    void set_consumer(std::uint64_t id) noexcept { _settles->consumer = id; }

    void ack(std::uint64_t tag, bool multiple) noexcept override { add({ tag, multiple, settle_kind::ack }); }
    void nack(std::uint64_t tag, bool multiple, bool requeue) noexcept override
    {
        add({ tag, multiple, requeue ? settle_kind::requeue : settle_kind::drop });
    }
    void set_prefetch(std::uint32_t prefetch) noexcept override
    {
        _settles->send();
        on_owner([prefetch](queue& q, std::uint64_t c) { q.set_prefetch(c, prefetch); });
    }
    void pause(bool paused) noexcept override
    {
        _settles->send();
        on_owner([paused](queue& q, std::uint64_t c) { q.pause(c, paused); });
    }

  private:
    void add(settle_op op)
    {
        if (_settles->ops.empty()) {
            _home.post([s = _settles] { s->send(); });
        }
        _settles->ops.push_back(op);
    }
    template<class F>
    void on_owner(F f)
    {
        if (_settles->stream) {
            return; // stream subscribers have a fixed window
        }
        auto* core = _settles->core;
        auto dest = _settles->dest;
        auto consumer = _settles->consumer;
        core->shards().at(owner_shard(dest)).post([core, dest, consumer, f] {
            auto& st = core->state(owner_shard(dest));
            if (auto q = st.queues.find(dest()); q != st.queues.end()) {
                f(*q->second, consumer);
            }
        });
    }

    shard_executor& _home;
    std::shared_ptr<subscriber_link> _link;
    std::shared_ptr<settle_buffer> _settles;
};

status no_vhost(std::string_view vhost)
{
    return status(errc::not_found, fmt::format("no vhost '{}'", vhost));
}

} // namespace

kernel_facade::kernel_facade(broker_core& core, unsigned shard)
  : _core(core)
  , _shard(shard)
  , _state(core.state(shard))
  , _exec(core.shards().at(shard))
  , _published(core.metrics().scope("kernel").make_counter("messages_published_total", "Messages routed by exchanges"))
  , _unroutable(
      core.metrics().scope("kernel").make_counter("messages_unroutable_total", "Published messages no binding matched"))
  , _alarms(core.alarms())
{
    _core.on_alarms_changed(shard, [this](sdk::resource_alarms now) { alarms_changed(now); });
    _core.attach_publisher(shard, this);
}

kernel_facade::~kernel_facade()
{
    _core.attach_publisher(_shard, nullptr);
}

class kernel_facade::watch_handle final : public sdk::alarm_watch
{
  public:
    watch_handle(kernel_facade& owner, std::uint64_t id)
      : _owner(owner)
      , _id(id)
    {
    }
    ~watch_handle() override { _owner._alarm_watchers.erase(_id); }

  private:
    kernel_facade& _owner;
    std::uint64_t _id;
};

std::unique_ptr<sdk::alarm_watch> kernel_facade::watch_alarms(
  sdk::callback<void(sdk::resource_alarms)> changed) noexcept
{
    try {
        const auto id = _next_alarm_watch++;
        _alarm_watchers.emplace(id, std::move(changed));
        return std::make_unique<watch_handle>(*this, id);
    } catch (...) {
        return nullptr; // out of memory: the session hears of no change
    }
}

void kernel_facade::alarms_changed(sdk::resource_alarms now)
{
    if (now == _alarms) {
        return;
    }
    _alarms = now;
    // A watcher may drop its own or another watch from inside its callback: walk by id.
    std::vector<std::uint64_t> ids;
    for (const auto& [id, cb] : _alarm_watchers) {
        ids.push_back(id);
    }
    for (auto id : ids) {
        if (auto it = _alarm_watchers.find(id); it != _alarm_watchers.end() && it->second) {
            it->second(now);
        }
    }
}

template<class T>
void kernel_facade::reply(sdk::callback<void(T)> done, T value)
{
    if (!done) {
        return;
    }
    _exec.post([done = std::move(done), value = std::move(value)]() mutable { done(std::move(value)); });
}

template<class T, class Op>
void kernel_facade::control(sdk::callback<void(T)> done, Op op)
{
    auto shared_done = std::make_shared<sdk::callback<void(T)>>(std::move(done));
    auto* home = &_exec;
    _core.run_control([shared_done, home, op = std::move(op)]() mutable -> awaitable<void> {
        T r = co_await op();
        home->post([shared_done, r = std::move(r)]() mutable {
            if (*shared_done) {
                (*shared_done)(std::move(r));
            }
        });
    });
}

// ---- control verbs -----------------------------------------------------------------------

void kernel_facade::declare_exchange(const sdk::exchange_spec& spec, sdk::callback<void(status)> done) noexcept
{
    control(std::move(done), [core = &_core, spec] { return core->declare_exchange(spec); });
}

void kernel_facade::delete_exchange(std::string_view vhost,
                                    std::string_view name,
                                    bool if_unused,
                                    sdk::callback<void(status)> done) noexcept
{
    control(std::move(done), [core = &_core, v = std::string(vhost), n = std::string(name), if_unused] {
        return core->delete_exchange(v, n, if_unused);
    });
}

void kernel_facade::declare_queue(const sdk::queue_spec& spec,
                                  sdk::callback<void(sdk::result<sdk::queue_info>)> done) noexcept
{
    control(std::move(done), [core = &_core, spec, near = _shard] { return core->declare_queue(spec, near); });
}

void kernel_facade::delete_queue(std::string_view vhost,
                                 std::string_view name,
                                 bool if_unused,
                                 bool if_empty,
                                 sdk::callback<void(sdk::result<std::uint64_t>)> done) noexcept
{
    control(std::move(done), [core = &_core, v = std::string(vhost), n = std::string(name), if_unused, if_empty] {
        return core->delete_queue(v, n, if_unused, if_empty);
    });
}

void kernel_facade::purge_queue(std::string_view vhost,
                                std::string_view name,
                                sdk::callback<void(sdk::result<std::uint64_t>)> done) noexcept
{
    control(std::move(done),
            [core = &_core, v = std::string(vhost), n = std::string(name)] { return core->purge_queue(v, n); });
}

void kernel_facade::declare_stream(const sdk::stream_spec& spec,
                                   sdk::callback<void(sdk::result<sdk::stream_info>)> done) noexcept
{
    control(std::move(done), [core = &_core, spec] { return core->declare_stream(spec); });
}

void kernel_facade::delete_stream(std::string_view vhost,
                                  std::string_view name,
                                  sdk::callback<void(status)> done) noexcept
{
    control(std::move(done),
            [core = &_core, v = std::string(vhost), n = std::string(name)] { return core->delete_stream(v, n); });
}

void kernel_facade::add_stream_partitions(std::string_view vhost,
                                          std::string_view name,
                                          std::int32_t partitions,
                                          sdk::callback<void(sdk::result<sdk::stream_info>)> done) noexcept
{
    control(std::move(done), [core = &_core, v = std::string(vhost), n = std::string(name), partitions] {
        return core->add_stream_partitions(v, n, partitions);
    });
}

void kernel_facade::set_stream_config(std::string_view vhost,
                                      std::string_view name,
                                      const sdk::stream_config& config,
                                      sdk::callback<void(sdk::result<sdk::stream_info>)> done) noexcept
{
    control(std::move(done), [core = &_core, v = std::string(vhost), n = std::string(name), config] {
        return core->set_stream_config(v, n, config);
    });
}

void kernel_facade::bind(const sdk::binding_spec& spec, sdk::callback<void(status)> done) noexcept
{
    control(std::move(done), [core = &_core, spec] { return core->bind(spec); });
}

void kernel_facade::unbind(const sdk::binding_spec& spec, sdk::callback<void(status)> done) noexcept
{
    control(std::move(done), [core = &_core, spec] { return core->unbind(spec); });
}

void kernel_facade::release_connection(std::uint64_t connection) noexcept
{
    _core.run_control(
      [core = &_core, connection]() -> awaitable<void> { co_await core->release_connection(connection); });
}

// ---- users -------------------------------------------------------------------------------

sdk::result<sdk::user_identity> kernel_facade::authenticate(std::string_view user,
                                                            std::string_view password,
                                                            const sdk::peer_info& peer) noexcept
{
    return _core.users().authenticate(user, password, peer);
}

sdk::status kernel_facade::check_vhost_access(std::string_view user, std::string_view vhost) noexcept
{
    if (_state.vhosts.find(vhost) == _state.vhosts.end()) {
        return no_vhost(vhost);
    }
    return _core.users().check_vhost_access(user, vhost);
}

// ---- publish -----------------------------------------------------------------------------

sdk::destination_id kernel_facade::pick_partition(const std::vector<sdk::destination_id>& partitions,
                                                  const sdk::message& msg) const noexcept
{
    // Per-key order: one key always lands in one partition.
    const std::string& key = msg.key.empty() ? msg.routing_key : msg.key;
    return partitions[std::hash<std::string>()(key) % partitions.size()];
}

namespace {

// Appends one message to a queue or partition on its owner shard; `done` (may be empty) runs
// there with the level reached.
void append_on_owner(broker_core& core,
                     sdk::destination_id dest,
                     sdk::message_ptr msg,
                     sdk::ack_level level,
                     append_done done)
{
    auto& st = core.state(owner_shard(dest));
    if (kind_of(dest) == destination_kind::queue) {
        if (auto q = st.queues.find(dest()); q != st.queues.end()) {
            q->second->enqueue(std::move(msg), level, std::move(done));
            return;
        }
    } else if (auto p = st.partitions.find(dest()); p != st.partitions.end()) {
        sdk::record_batch batch;
        batch.records.push_back(std::move(msg));
        p->second->append(std::move(batch), level, [done = std::move(done)](sdk::result<sdk::offset_range> r) mutable {
            if (!done) {
                return;
            }
            if (r) {
                done(sdk::ack_level::stored);
            } else {
                done(r.error());
            }
        });
        return;
    }
    if (done) {
        done(status(errc::not_found, "destination was deleted"));
    }
}

// Whether `msg` is a copy that `stream` forwarded (stream_spec::forward_exchange).
bool forwarded_from(const sdk::message& msg, const vhost_replica& vh, sdk::destination_id stream)
{
    const auto* origin = sdk::find_header(msg.headers_, forwarded_from_header);
    if (origin == nullptr) {
        return false;
    }
    const auto* name = std::get_if<std::string>(origin);
    auto it = name != nullptr ? vh.streams.find(*name) : vh.streams.end();
    return it != vh.streams.end() && it->second.id == stream;
}

// Collects the outcomes of one publish's destinations on the publisher's shard.
/// The shard owning every queue of a route; none when they are on several or a stream is
/// among them (its partition is picked per message).
std::optional<sdk::shard_id> home_of(const sdk::destination_set& routed) noexcept
{
    std::optional<sdk::shard_id> home;
    for (auto dest : routed) {
        if (kind_of(dest) == destination_kind::stream) {
            return std::nullopt;
        }
        const sdk::shard_id owner{ owner_shard(dest) };
        if (home && *home != owner) {
            return std::nullopt;
        }
        home = owner;
    }
    return home;
}

struct publish_tracker
{
    std::size_t remaining;
    std::uint32_t routed;
    sdk::ack_level reached;
    sdk::status failure;
    std::optional<sdk::shard_id> home;
    sdk::callback<void(sdk::result<sdk::publish_ack>)> done;

    void arrive(sdk::result<sdk::ack_level> r)
    {
        if (!r) {
            failure = r.error();
        } else if (*r < reached) {
            reached = *r;
        }
        if (--remaining == 0) {
            if (failure.ok()) {
                done(sdk::publish_ack{ reached, routed, home });
            } else {
                done(failure);
            }
        }
    }
};

} // namespace

sdk::status kernel_facade::disk_alarm_refusal() const
{
    return sdk::status(sdk::errc::resource_exhausted, "publishing is blocked: " + _core.disk().describe());
}

void kernel_facade::publish(sdk::publish_request request,
                            sdk::callback<void(sdk::result<sdk::publish_ack>)> done) noexcept
{
    using publish_result = sdk::result<sdk::publish_ack>;
    if (_core.disk().raised()) {
        reply<publish_result>(std::move(done), disk_alarm_refusal());
        return;
    }
    auto vh = _state.vhosts.find(request.vhost);
    if (vh == _state.vhosts.end()) {
        reply<publish_result>(std::move(done), no_vhost(request.vhost));
        return;
    }
    const sdk::message& msg = *request.msg;
    auto ex = vh->second.exchanges.find(msg.exchange);
    if (ex == vh->second.exchanges.end()) {
        reply<publish_result>(
          std::move(done),
          status(errc::not_found, fmt::format("no exchange '{}' in vhost '{}'", msg.exchange, request.vhost)));
        return;
    }
    if (ex->second.internal) {
        reply<publish_result>(
          std::move(done),
          status(errc::forbidden,
                 fmt::format("cannot publish to internal exchange '{}' in vhost '{}'", msg.exchange, request.vhost)));
        return;
    }
    if (ex->second.delayed) {
        if (auto delay = requested_delay(msg)) {
            hold_delayed(ex->second.id, std::move(request), *delay, std::move(done));
            return;
        }
    }
    route_message(_state, vh->second, ex->second, msg);
    const auto& routed = _state.routed;
    _published.inc();
    const auto n = static_cast<std::uint32_t>(routed.size());
    if (n == 0) {
        _unroutable.inc();
        reply<publish_result>(std::move(done), sdk::publish_ack{ request.level, 0 });
        return;
    }
    // Fire and forget (ack_level::none): the route is the whole answer, so nothing comes back
    // from the destinations' shards (a wake-up per message saved on each).
    const bool fire_and_forget = request.level == sdk::ack_level::none;
    const auto home = done ? home_of(routed) : std::nullopt;
    std::shared_ptr<publish_tracker> tracker;
    if (done && !fire_and_forget) {
        tracker = std::make_shared<publish_tracker>(
          publish_tracker{ n, n, sdk::ack_level::durable, {}, home, std::move(done) });
    }
    std::uint32_t reached = 0;
    for (std::uint32_t i = 0; i < n; ++i) {
        sdk::destination_id dest = routed[i];
        if (kind_of(dest) == destination_kind::stream && forwarded_from(msg, vh->second, dest)) {
            if (tracker) {
                tracker->arrive(sdk::ack_level::durable); // a forwarded copy skips its own stream
            }
            continue;
        }
        if (kind_of(dest) == destination_kind::stream) {
            auto parts = _state.stream_partitions.find(dest());
            if (parts == _state.stream_partitions.end() || parts->second.empty()) {
                if (tracker) {
                    tracker->arrive(status(errc::not_found, "stream was deleted"));
                }
                continue;
            }
            dest = pick_partition(parts->second, msg);
        }
        append_done on_owner;
        if (tracker) {
            on_owner = [tracker, home = &_exec](sdk::result<sdk::ack_level> r) mutable {
                home->post([tracker, r = std::move(r)]() mutable { tracker->arrive(std::move(r)); });
            };
        }
        const unsigned owner = owner_shard(dest);
        if (owner == _shard) {
            append_on_owner(_core, dest, request.msg, request.level, std::move(on_owner));
        } else {
            _core.shards().at(owner).post([core = &_core,
                                           dest,
                                           msg = request.msg,
                                           level = request.level,
                                           on_owner = std::move(on_owner)]() mutable {
                append_on_owner(*core, dest, std::move(msg), level, std::move(on_owner));
            });
        }
        ++reached;
    }
    if (fire_and_forget && done) {
        reply<publish_result>(std::move(done), sdk::publish_ack{ sdk::ack_level::none, reached, home });
    }
}

void kernel_facade::hold_delayed(sdk::destination_id exchange,
                                 sdk::publish_request request,
                                 std::int64_t delay_ms,
                                 sdk::callback<void(sdk::result<sdk::publish_ack>)> done)
{
    _published.inc();
    append_done on_owner;
    if (done) {
        // Confirmed once held (stored, or durable when asked), as the delayed-message plugin
        // confirms; it counts as routed, so a mandatory publish does not come back.
        on_owner = [home = &_exec, done = std::move(done)](sdk::result<sdk::ack_level> r) mutable {
            home->post([done = std::move(done), r = std::move(r)]() mutable {
                if (r) {
                    done(sdk::publish_ack{ *r, 1 });
                } else {
                    done(r.error());
                }
            });
        };
    }
    _core.shards()
      .at(owner_shard(exchange))
      .post([core = &_core,
             exchange,
             msg = std::move(request.msg),
             level = request.level,
             delay_ms,
             on_owner = std::move(on_owner)]() mutable {
          auto& stores = core->state(owner_shard(exchange)).delay_stores;
          if (auto it = stores.find(exchange()); it != stores.end()) {
              it->second->hold(std::move(msg), delay_ms, level, std::move(on_owner));
          } else if (on_owner) {
              on_owner(status(errc::not_found, "the delayed exchange was deleted"));
          }
      });
}

// ---- consume -----------------------------------------------------------------------------

void kernel_facade::subscribe(const sdk::subscribe_request& request,
                              sdk::delivery_sink& sink,
                              sdk::callback<void(sdk::result<std::unique_ptr<sdk::subscription>>)> done) noexcept
{
    using sub_result = sdk::result<std::unique_ptr<sdk::subscription>>;
    auto vh = _state.vhosts.find(request.vhost);
    if (vh == _state.vhosts.end()) {
        reply<sub_result>(std::move(done), no_vhost(request.vhost));
        return;
    }
    sdk::destination_id dest;
    bool stream = false;
    if (auto q = vh->second.queues.find(request.queue); q != vh->second.queues.end()) {
        dest = q->second;
    } else if (auto s = vh->second.streams.find(request.queue); s != vh->second.streams.end()) {
        dest = _state.stream_partitions[s->second.id()].front();
        stream = true;
    } else {
        reply<sub_result>(
          std::move(done),
          status(errc::not_found, fmt::format("no queue '{}' in vhost '{}'", request.queue, request.vhost)));
        return;
    }
    auto link = std::make_shared<subscriber_link>(subscriber_link{ &_exec, &sink, true });
    auto sub = std::make_unique<subscription_impl>(_core, _exec, link, dest, stream);
    consumer_options opts{ request.consumer_tag, request.connection, request.exclusive,
                           request.auto_ack,     request.prefetch,   request.priority };
    sdk::stream_start start = request.stream.value_or(sdk::stream_start{});
    auto shared_done = std::make_shared<sdk::callback<void(sub_result)>>(std::move(done));
    auto* raw_sub = sub.release(); // owned by the hop below until handed to `done`
    _core.shards()
      .at(owner_shard(dest))
      .post([core = &_core, home = &_exec, dest, stream, opts, start, link, raw_sub, shared_done]() mutable {
          sdk::result<std::uint64_t> added = std::uint64_t{ 0 };
          auto& st = core->state(owner_shard(dest));
          if (stream) {
              auto p = st.partitions.find(dest());
              added = p == st.partitions.end()
                        ? sdk::result<std::uint64_t>(status(errc::not_found, "stream was deleted"))
                        : sdk::result<std::uint64_t>(p->second->add_subscriber(start, opts.prefetch, link));
          } else {
              auto q = st.queues.find(dest());
              added = q == st.queues.end() ? sdk::result<std::uint64_t>(status(errc::not_found, "queue was deleted"))
                                           : q->second->add_consumer(opts, link);
          }
          home->post([raw_sub, shared_done, added = std::move(added)]() mutable {
              std::unique_ptr<subscription_impl> owned(raw_sub);
              if (!added) {
                  // Nothing was added on the owner: drop the handle without a remove hop.
                  owned->set_consumer(0);
                  (*shared_done)(added.error());
                  return;
              }
              owned->set_consumer(*added);
              (*shared_done)(std::unique_ptr<sdk::subscription>(std::move(owned)));
          });
      });
}

void kernel_facade::get(std::string_view vhost,
                        std::string_view queue_name,
                        bool auto_ack,
                        sdk::callback<void(sdk::result<std::optional<sdk::fetched_message>>)> done) noexcept
{
    using get_result = sdk::result<std::optional<sdk::fetched_message>>;
    auto vh = _state.vhosts.find(vhost);
    if (vh == _state.vhosts.end()) {
        reply<get_result>(std::move(done), no_vhost(vhost));
        return;
    }
    auto q = vh->second.queues.find(queue_name);
    if (q == vh->second.queues.end()) {
        reply<get_result>(std::move(done),
                          status(errc::not_found, fmt::format("no queue '{}' in vhost '{}'", queue_name, vhost)));
        return;
    }
    auto dest = q->second;
    auto shared_done = std::make_shared<sdk::callback<void(get_result)>>(std::move(done));
    _core.shards().at(owner_shard(dest)).post([core = &_core, home = &_exec, dest, auto_ack, shared_done] {
        auto& st = core->state(owner_shard(dest));
        auto it = st.queues.find(dest());
        if (it == st.queues.end()) {
            home->post([shared_done] { (*shared_done)(status(errc::not_found, "queue was deleted")); });
            return;
        }
        it->second->get(auto_ack, [home, shared_done](std::optional<sdk::fetched_message> m) {
            home->post([shared_done, m = std::move(m)]() mutable { (*shared_done)(std::move(m)); });
        });
    });
}

void kernel_facade::settle(std::string_view vhost,
                           std::string_view queue_name,
                           std::uint64_t tag,
                           sdk::settlement outcome) noexcept
{
    auto vh = _state.vhosts.find(vhost);
    if (vh == _state.vhosts.end()) {
        return;
    }
    auto q = vh->second.queues.find(queue_name);
    if (q == vh->second.queues.end()) {
        return;
    }
    auto dest = q->second;
    const settle_kind kind = outcome == sdk::settlement::ack       ? settle_kind::ack
                             : outcome == sdk::settlement::requeue ? settle_kind::requeue
                                                                   : settle_kind::drop;
    _core.shards().at(owner_shard(dest)).post([core = &_core, dest, tag, kind] {
        auto& st = core->state(owner_shard(dest));
        if (auto it = st.queues.find(dest()); it != st.queues.end()) {
            it->second->settle(0, tag, false, kind);
        }
    });
}

// ---- streams -----------------------------------------------------------------------------

std::optional<sdk::destination_id> kernel_facade::find_partition(std::string_view vhost,
                                                                 std::string_view stream,
                                                                 sdk::partition_id partition) const
{
    auto vh = _state.vhosts.find(vhost);
    if (vh == _state.vhosts.end()) {
        return std::nullopt;
    }
    auto s = vh->second.streams.find(stream);
    if (s == vh->second.streams.end()) {
        return std::nullopt;
    }
    auto parts = _state.stream_partitions.find(s->second.id());
    if (parts == _state.stream_partitions.end() || partition() < 0 ||
        static_cast<std::size_t>(partition()) >= parts->second.size()) {
        return std::nullopt;
    }
    return parts->second[static_cast<std::size_t>(partition())];
}

template<class T, class Op>
void kernel_facade::on_partition(std::string_view vhost,
                                 std::string_view stream,
                                 sdk::partition_id partition,
                                 sdk::callback<void(sdk::result<T>)> done,
                                 Op op)
{
    auto dest = find_partition(vhost, stream, partition);
    if (!dest) {
        reply<sdk::result<T>>(
          std::move(done),
          status(errc::not_found,
                 fmt::format("no partition {} of stream '{}' in vhost '{}'", partition(), stream, vhost)));
        return;
    }
    auto shared_done = std::make_shared<sdk::callback<void(sdk::result<T>)>>(std::move(done));
    _core.shards()
      .at(owner_shard(*dest))
      .post([core = &_core, home = &_exec, d = *dest, shared_done, op = std::move(op)]() mutable {
          auto& st = core->state(owner_shard(d));
          auto it = st.partitions.find(d());
          auto answer = [home, shared_done](sdk::result<T> r) {
              home->post([shared_done, r = std::move(r)]() mutable { (*shared_done)(std::move(r)); });
          };
          if (it == st.partitions.end()) {
              answer(status(errc::not_found, "stream was deleted"));
              return;
          }
          op(*it->second, std::move(answer));
      });
}

void kernel_facade::append(std::string_view vhost,
                           std::string_view stream,
                           sdk::partition_id partition,
                           sdk::record_batch batch,
                           sdk::ack_level level,
                           sdk::callback<void(sdk::result<sdk::offset_range>)> done) noexcept
{
    if (_core.disk().raised()) {
        reply<sdk::result<sdk::offset_range>>(std::move(done), disk_alarm_refusal());
        return;
    }
    auto shared_batch = std::make_shared<sdk::record_batch>(std::move(batch));
    on_partition<sdk::offset_range>(
      vhost, stream, partition, std::move(done), [shared_batch, level](stream_partition& p, auto answer) {
          p.append(std::move(*shared_batch), level, std::move(answer));
      });
}

void kernel_facade::fetch(std::string_view vhost,
                          std::string_view stream,
                          sdk::partition_id partition,
                          sdk::offset from,
                          std::size_t max_bytes,
                          sdk::batch_form form,
                          sdk::callback<void(sdk::result<sdk::record_batch>)> done) noexcept
{
    on_partition<sdk::record_batch>(
      vhost, stream, partition, std::move(done), [from, max_bytes, form](stream_partition& p, auto answer) {
          p.fetch(from, max_bytes, form, std::move(answer));
      });
}

void kernel_facade::stream_offsets(std::string_view vhost,
                                   std::string_view stream,
                                   sdk::partition_id partition,
                                   sdk::callback<void(sdk::result<sdk::log_offsets>)> done) noexcept
{
    on_partition<sdk::log_offsets>(
      vhost, stream, partition, std::move(done), [](stream_partition& p, auto answer) { answer(p.offsets()); });
}

void kernel_facade::wait_for_records(std::string_view vhost,
                                     std::string_view stream,
                                     sdk::partition_id partition,
                                     sdk::offset from,
                                     std::chrono::milliseconds max_wait,
                                     sdk::callback<void(sdk::result<sdk::log_offsets>)> done) noexcept
{
    on_partition<sdk::log_offsets>(
      vhost, stream, partition, std::move(done), [from, max_wait](stream_partition& p, auto answer) {
          p.wait_for_records(from, max_wait, std::move(answer));
      });
}

void kernel_facade::offset_for_timestamp(std::string_view vhost,
                                         std::string_view stream,
                                         sdk::partition_id partition,
                                         sdk::timestamp_ms ts,
                                         sdk::callback<void(sdk::result<sdk::offset>)> done) noexcept
{
    on_partition<sdk::offset>(vhost, stream, partition, std::move(done), [ts](stream_partition& p, auto answer) {
        p.offset_for_timestamp(ts, std::move(answer));
    });
}

void kernel_facade::commit_offset(std::string_view vhost,
                                  std::string_view group,
                                  std::string_view stream,
                                  sdk::partition_id partition,
                                  sdk::offset committed,
                                  sdk::callback<void(status)> done) noexcept
{
    auto vh = _state.vhosts.find(vhost);
    auto s = vh == _state.vhosts.end() ? nullptr : &vh->second.streams;
    auto it = s ? s->find(stream) : decltype(s->find(stream)){};
    if (s == nullptr || it == s->end() || !find_partition(vhost, stream, partition)) {
        reply<status>(std::move(done),
                      status(errc::not_found,
                             fmt::format("no partition {} of stream '{}' in vhost '{}'", partition(), stream, vhost)));
        return;
    }
    auto* engine = _core.engine(it->second.storage);
    auto shared_done = std::make_shared<sdk::callback<void(status)>>(std::move(done));
    std::vector<sdk::kv_store::write> writes;
    writes.push_back({ group_offset_key(vhost, group, stream, partition), std::to_string(committed()) });
    engine->metadata().apply(std::move(writes), [home = &_exec, shared_done](status st) {
        home->post([shared_done, st] {
            if (*shared_done) {
                (*shared_done)(st);
            }
        });
    });
}

void kernel_facade::committed_offset(std::string_view vhost,
                                     std::string_view group,
                                     std::string_view stream,
                                     sdk::partition_id partition,
                                     sdk::callback<void(sdk::result<std::optional<sdk::offset>>)> done) noexcept
{
    using offset_result = sdk::result<std::optional<sdk::offset>>;
    auto vh = _state.vhosts.find(vhost);
    auto s = vh == _state.vhosts.end() ? nullptr : &vh->second.streams;
    auto it = s ? s->find(stream) : decltype(s->find(stream)){};
    if (s == nullptr || it == s->end()) {
        reply<offset_result>(std::move(done),
                             status(errc::not_found, fmt::format("no stream '{}' in vhost '{}'", stream, vhost)));
        return;
    }
    auto value = _core.engine(it->second.storage)->metadata().get(group_offset_key(vhost, group, stream, partition));
    if (!value) {
        reply<offset_result>(std::move(done), value.error());
        return;
    }
    std::optional<sdk::offset> out;
    if (*value) {
        out = sdk::offset(std::stoll(**value));
    }
    reply<offset_result>(std::move(done), out);
}

void kernel_facade::delete_group_offsets(std::string_view vhost,
                                         std::string_view group,
                                         sdk::callback<void(sdk::result<std::uint64_t>)> done) noexcept
{
    using count_result = sdk::result<std::uint64_t>;
    auto vh = _state.vhosts.find(vhost);
    if (vh == _state.vhosts.end()) {
        reply<count_result>(std::move(done), status(errc::not_found, fmt::format("no vhost '{}'", vhost)));
        return;
    }
    // A group's offsets live in the engine of each stream they are for, under one prefix
    // (group_offset_keys.h). Only those of streams that exist count.
    const std::string prefix = group_offsets_prefix(vhost, group);
    std::map<std::string, std::vector<sdk::kv_store::write>> per_engine;
    for (const auto& [stream, replica] : vh->second.streams) {
        per_engine.try_emplace(replica.storage);
    }
    for (auto& [storage, writes] : per_engine) {
        auto* engine = _core.engine(storage);
        if (engine == nullptr) {
            continue;
        }
        auto found = engine->metadata().scan(prefix);
        if (!found) {
            reply<count_result>(std::move(done), found.error());
            return;
        }
        for (const auto& entry : *found) {
            auto target = group_offset_target_of(std::string_view(entry.first).substr(prefix.size()));
            if (!target) {
                continue;
            }
            auto stream = vh->second.streams.find(target->stream);
            if (stream != vh->second.streams.end() && stream->second.storage == storage) {
                writes.push_back({ entry.first, std::nullopt });
            }
        }
    }
    struct pending
    {
        sdk::callback<void(count_result)> done;
        std::uint64_t deleted = 0;
        std::size_t left = 1;
        status failure;
    };
    auto state = std::make_shared<pending>();
    state->done = std::move(done);
    auto finish = [state] {
        if (--state->left == 0 && state->done) {
            if (state->failure.ok()) {
                state->done(count_result(state->deleted));
            } else {
                state->done(count_result(state->failure));
            }
        }
    };
    for (auto& [storage, writes] : per_engine) {
        if (writes.empty()) {
            continue;
        }
        ++state->left;
        state->deleted += writes.size();
        _core.engine(storage)->metadata().apply(std::move(writes), [home = &_exec, state, finish](status st) {
            home->post([state, finish, st] {
                if (!st.ok() && state->failure.ok()) {
                    state->failure = st;
                }
                finish();
            });
        });
    }
    // Never inline: the facade's callbacks always run later on this shard.
    _exec.post(finish);
}

// ---- services ----------------------------------------------------------------------------

sdk::executor& kernel_facade::shard() noexcept
{
    return _exec;
}

std::uint64_t kernel_facade::next_connection_id() noexcept
{
    return _core.next_connection_id();
}

sdk::logger& kernel_facade::log(std::string_view component) noexcept
{
    return _core.logs().get(component);
}

sdk::metrics_scope& kernel_facade::metrics(std::string_view prefix) noexcept
{
    return _core.metrics().scope(prefix);
}

sdk::kv_store& kernel_facade::plugin_store(std::string_view space) noexcept
{
    // A new space allocates its view once; running out of memory there is not recoverable.
    return _core.plugin_store(space);
}

} // namespace plexus::kernel
