// fake_kernel: an sdk::kernel for unit tests of protocol sessions, without a broker.
//
// It keeps the facade's contract — every callback runs later, on the given fake_executor,
// never inside the call — and records what the session asked for. Queues are simple in-memory
// FIFOs so publish/get/subscribe behave plausibly; anything a test needs to go wrong is set up
// with fail_next(verb, status). Group offsets are kept in a map; streams answer not_supported
// unless a test added them (add_stream).
#pragma once

#include "plexus/sdk/kernel.h"
#include "plexus/sdk/testing/fake_executor.h"

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace plexus::sdk::testing {

class fake_kernel final : public kernel
{
  public:
    explicit fake_kernel(fake_executor& exec)
      : _exec(exec)
    {
    }

    /// The names of the verbs called, in order ("declare_queue", "publish", …).
    const std::vector<std::string>& calls() const noexcept { return _calls; }
    /// Every message published, whatever its route.
    const std::vector<publish_request>& published() const noexcept { return _published; }
    /// Makes the next call of `verb` fail with `why`.
    void fail_next(const std::string& verb, status why) { _failures[verb] = std::move(why); }
    /// What routed publishes report as publish_ack::home_shard from now on (none by default).
    void set_home_shard(std::optional<shard_id> home) noexcept { _home_shard = home; }
    /// Messages waiting in a queue (declared or not).
    std::size_t depth(const std::string& queue) const
    {
        auto it = _queues.find(queue);
        return it == _queues.end() ? 0 : it->second.size();
    }
    /// Acks and nacks the session sent: (tag, multiple, requeue-or-ack).
    struct settle_record
    {
        std::uint64_t tag;
        bool multiple;
        bool ack;
        bool requeue;
    };
    const std::vector<settle_record>& settles() const noexcept { return _settles; }

    void declare_exchange(const exchange_spec& spec, callback<void(status)> done) noexcept override
    {
        answer<status>("declare_exchange", std::move(done), status{});
    }
    void delete_exchange(std::string_view, std::string_view, bool, callback<void(status)> done) noexcept override
    {
        answer<status>("delete_exchange", std::move(done), status{});
    }
    void declare_queue(const queue_spec& spec, callback<void(result<queue_info>)> done) noexcept override
    {
        std::string name = spec.name.empty() ? "amq.gen-fake-" + std::to_string(++_generated) : spec.name;
        _queues[name];
        queue_info info;
        info.name = name;
        info.messages = _queues[name].size();
        answer<result<queue_info>>("declare_queue", std::move(done), info);
    }
    void delete_queue(std::string_view,
                      std::string_view name,
                      bool,
                      bool,
                      callback<void(result<std::uint64_t>)> done) noexcept override
    {
        auto n = static_cast<std::uint64_t>(depth(std::string(name)));
        _queues.erase(std::string(name));
        answer<result<std::uint64_t>>("delete_queue", std::move(done), n);
    }
    void purge_queue(std::string_view,
                     std::string_view name,
                     callback<void(result<std::uint64_t>)> done) noexcept override
    {
        auto& q = _queues[std::string(name)];
        auto n = static_cast<std::uint64_t>(q.size());
        q.clear();
        answer<result<std::uint64_t>>("purge_queue", std::move(done), n);
    }
    /// Streams answer not_supported unless a test added them here (any vhost).
    void add_stream(stream_info info) { _streams[info.name] = std::move(info); }
    const stream_info* stream(const std::string& name) const
    {
        auto it = _streams.find(name);
        return it == _streams.end() ? nullptr : &it->second;
    }
    void declare_stream(const stream_spec& spec, callback<void(result<stream_info>)> done) noexcept override
    {
        auto it = _streams.find(spec.name);
        if (it != _streams.end()) {
            answer<result<stream_info>>("declare_stream", std::move(done), it->second);
        } else if (spec.passive && !_streams.empty()) {
            answer<result<stream_info>>("declare_stream", std::move(done), status(errc::not_found, "no such stream"));
        } else {
            answer<result<stream_info>>("declare_stream", std::move(done), unsupported());
        }
    }
    void delete_stream(std::string_view, std::string_view, callback<void(status)> done) noexcept override
    {
        answer<status>("delete_stream", std::move(done), unsupported());
    }
    void set_stream_config(std::string_view,
                           std::string_view name,
                           const stream_config& config,
                           callback<void(result<stream_info>)> done) noexcept override
    {
        auto it = _streams.find(std::string(name));
        if (it == _streams.end()) {
            answer<result<stream_info>>("set_stream_config", std::move(done), unsupported());
            return;
        }
        it->second.retention_ms = config.retention_ms;
        it->second.retention_bytes = config.retention_bytes;
        it->second.compact = config.compact;
        it->second.delete_retention_ms = config.delete_retention_ms;
        answer<result<stream_info>>("set_stream_config", std::move(done), it->second);
    }
    void add_stream_partitions(std::string_view,
                               std::string_view name,
                               std::int32_t partitions,
                               callback<void(result<stream_info>)> done) noexcept override
    {
        auto it = _streams.find(std::string(name));
        if (it == _streams.end()) {
            answer<result<stream_info>>("add_stream_partitions", std::move(done), unsupported());
            return;
        }
        if (partitions <= it->second.partitions) {
            answer<result<stream_info>>(
              "add_stream_partitions", std::move(done), status(errc::invalid_argument, "a stream only grows"));
            return;
        }
        it->second.partitions = partitions;
        answer<result<stream_info>>("add_stream_partitions", std::move(done), it->second);
    }
    void bind(const binding_spec&, callback<void(status)> done) noexcept override
    {
        answer<status>("bind", std::move(done), status{});
    }
    void unbind(const binding_spec&, callback<void(status)> done) noexcept override
    {
        answer<status>("unbind", std::move(done), status{});
    }
    /// Routes like the default exchange: the routing key names the queue.
    void publish(publish_request request, callback<void(result<publish_ack>)> done) noexcept override
    {
        _published.push_back(request);
        std::uint32_t routed = 0;
        if (auto it = _queues.find(request.msg->routing_key); it != _queues.end()) {
            it->second.push_back(request.msg);
            routed = 1;
            pump();
        }
        if (done) {
            answer<result<publish_ack>>("publish",
                                        std::move(done),
                                        publish_ack{ request.level, routed, routed > 0 ? _home_shard : std::nullopt });
        } else {
            _calls.push_back("publish");
        }
    }
    void subscribe(const subscribe_request& request,
                   delivery_sink& sink,
                   callback<void(result<std::unique_ptr<subscription>>)> done) noexcept override
    {
        if (_queues.count(request.queue) == 0) {
            answer<result<std::unique_ptr<subscription>>>(
              "subscribe", std::move(done), status(errc::not_found, "no queue '" + request.queue + "'"));
            return;
        }
        auto sub = std::make_unique<fake_subscription>(*this, request.queue, sink, request.prefetch);
        _subscribers.push_back(sub.get());
        pump();
        answer<result<std::unique_ptr<subscription>>>(
          "subscribe", std::move(done), std::unique_ptr<subscription>(std::move(sub)));
    }
    void get(std::string_view,
             std::string_view queue,
             bool,
             callback<void(result<std::optional<fetched_message>>)> done) noexcept override
    {
        std::optional<fetched_message> out;
        auto& q = _queues[std::string(queue)];
        if (!q.empty()) {
            fetched_message m;
            m.d.tag = ++_get_tags;
            m.d.msg = q.front();
            q.pop_front();
            m.remaining = q.size();
            out = std::move(m);
        }
        answer<result<std::optional<fetched_message>>>("get", std::move(done), std::move(out));
    }
    void settle(std::string_view, std::string_view, std::uint64_t tag, settlement outcome) noexcept override
    {
        _calls.push_back("settle");
        _settles.push_back({ tag, false, outcome == settlement::ack, outcome == settlement::requeue });
    }
    void append(std::string_view,
                std::string_view,
                partition_id,
                record_batch,
                ack_level,
                callback<void(result<offset_range>)> done) noexcept override
    {
        answer<result<offset_range>>("append", std::move(done), unsupported());
    }
    void fetch(std::string_view,
               std::string_view,
               partition_id,
               offset,
               std::size_t,
               batch_form,
               callback<void(result<record_batch>)> done) noexcept override
    {
        answer<result<record_batch>>("fetch", std::move(done), unsupported());
    }
    void stream_offsets(std::string_view,
                        std::string_view,
                        partition_id,
                        callback<void(result<log_offsets>)> done) noexcept override
    {
        answer<result<log_offsets>>("stream_offsets", std::move(done), unsupported());
    }
    void wait_for_records(std::string_view,
                          std::string_view,
                          partition_id,
                          offset,
                          std::chrono::milliseconds,
                          callback<void(result<log_offsets>)> done) noexcept override
    {
        answer<result<log_offsets>>("wait_for_records", std::move(done), unsupported());
    }
    void offset_for_timestamp(std::string_view,
                              std::string_view,
                              partition_id,
                              timestamp_ms,
                              callback<void(result<offset>)> done) noexcept override
    {
        answer<result<offset>>("offset_for_timestamp", std::move(done), unsupported());
    }
    void commit_offset(std::string_view vhost,
                       std::string_view group,
                       std::string_view stream,
                       partition_id partition,
                       offset committed,
                       callback<void(status)> done) noexcept override
    {
        _offsets[group_offset_key{ std::string(vhost), std::string(group), std::string(stream), partition() }] =
          committed;
        answer<status>("commit_offset", std::move(done), status{});
    }
    void committed_offset(std::string_view vhost,
                          std::string_view group,
                          std::string_view stream,
                          partition_id partition,
                          callback<void(result<std::optional<offset>>)> done) noexcept override
    {
        std::optional<offset> found;
        auto it =
          _offsets.find(group_offset_key{ std::string(vhost), std::string(group), std::string(stream), partition() });
        if (it != _offsets.end()) {
            found = it->second;
        }
        answer<result<std::optional<offset>>>("committed_offset", std::move(done), found);
    }
    void delete_group_offsets(std::string_view vhost,
                              std::string_view group,
                              callback<void(result<std::uint64_t>)> done) noexcept override
    {
        std::uint64_t n = std::erase_if(
          _offsets, [&](const auto& entry) { return entry.first.vhost == vhost && entry.first.group == group; });
        answer<result<std::uint64_t>>("delete_group_offsets", std::move(done), n);
    }

    executor& shard() noexcept override { return _exec; }
    std::uint64_t next_connection_id() noexcept override { return ++_connections; }
    void release_connection(std::uint64_t) noexcept override { _calls.push_back("release_connection"); }
    logger& log(std::string_view) noexcept override { return _log; }
    metrics_scope& metrics(std::string_view) noexcept override { return _metrics; }
    kv_store& plugin_store(std::string_view space) noexcept override
    {
        auto it = _plugin_stores.find(space);
        if (it == _plugin_stores.end()) {
            it = _plugin_stores.emplace(std::string(space), std::make_unique<memory_kv>()).first;
        }
        return *it->second;
    }

    /// A user the fake accepts besides guest / guest (which it accepts from loopback only).
    void add_user(std::string name, std::string password) { _users[std::move(name)] = std::move(password); }
    result<user_identity> authenticate(std::string_view user,
                                       std::string_view password,
                                       const peer_info& peer) noexcept override
    {
        _calls.push_back("authenticate");
        auto it = _users.find(std::string(user));
        if (it == _users.end() || it->second != password) {
            return status(errc::unauthenticated, "user '" + std::string(user) + "': unknown or wrong password");
        }
        if (user == "guest" && !peer.loopback) {
            return status(errc::forbidden, "user 'guest' can only connect via localhost");
        }
        return user_identity{ std::string(user), {} };
    }
    /// Every vhost is open to everyone unless fail_next("check_vhost_access", …).
    status check_vhost_access(std::string_view, std::string_view) noexcept override
    {
        _calls.push_back("check_vhost_access");
        if (auto f = _failures.find("check_vhost_access"); f != _failures.end()) {
            status why = f->second;
            _failures.erase(f);
            return why;
        }
        return {};
    }

    resource_alarms alarms() const noexcept override { return _alarms; }
    std::unique_ptr<alarm_watch> watch_alarms(callback<void(resource_alarms)> changed) noexcept override
    {
        _calls.push_back("watch_alarms");
        auto watch = std::make_unique<fake_alarm_watch>(*this);
        _alarm_watchers.emplace(watch.get(), std::move(changed));
        return watch;
    }
    /// Raises or clears alarms as the broker would: every watcher hears of it, on the
    /// executor (run it to deliver).
    void set_alarms(resource_alarms now)
    {
        _alarms = now;
        _exec.post([this, now] {
            for (auto& [watch, changed] : _alarm_watchers) {
                changed(now);
            }
        });
    }

  private:
    class fake_alarm_watch final : public alarm_watch
    {
      public:
        explicit fake_alarm_watch(fake_kernel& k)
          : _k(k)
        {
        }
        ~fake_alarm_watch() override { _k._alarm_watchers.erase(this); }

      private:
        fake_kernel& _k;
    };

    class fake_subscription final : public subscription
    {
      public:
        fake_subscription(fake_kernel& k, std::string queue, delivery_sink& sink, std::uint32_t prefetch)
          : _k(k)
          , _queue(std::move(queue))
          , _sink(sink)
          , _prefetch(prefetch)
        {
        }
        ~fake_subscription() override { std::erase(_k._subscribers, this); }
        void ack(std::uint64_t tag, bool multiple) noexcept override
        {
            _k._settles.push_back({ tag, multiple, true, false });
            _unacked = multiple || _unacked == 0 ? 0 : _unacked - 1;
            _k.pump();
        }
        void nack(std::uint64_t tag, bool multiple, bool requeue) noexcept override
        {
            _k._settles.push_back({ tag, multiple, false, requeue });
            _unacked = multiple || _unacked == 0 ? 0 : _unacked - 1;
            _k.pump();
        }
        void set_prefetch(std::uint32_t prefetch) noexcept override
        {
            _prefetch = prefetch;
            _k.pump(); // more credit: the kernel delivers what it now may
        }
        void pause(bool paused) noexcept override
        {
            _paused = paused;
            if (!paused) {
                _k.pump(); // resumed: the kernel delivers what waited
            }
        }

        fake_kernel& _k;
        std::string _queue;
        delivery_sink& _sink;
        std::uint32_t _prefetch;
        std::uint32_t _unacked = 0;
        std::uint64_t _next_tag = 1;
        bool _paused = false;
    };

    /// A plugin store in memory: applied at once, `done` called inline.
    class memory_kv final : public kv_store
    {
      public:
        result<std::optional<std::string>> get(std::string_view key) noexcept override
        {
            auto it = _rows.find(key);
            return it == _rows.end() ? std::optional<std::string>() : std::optional<std::string>(it->second);
        }
        result<std::vector<std::pair<std::string, std::string>>> scan(std::string_view prefix) noexcept override
        {
            std::vector<std::pair<std::string, std::string>> out;
            for (auto it = _rows.lower_bound(prefix); it != _rows.end() && it->first.starts_with(prefix); ++it) {
                out.emplace_back(it->first, it->second);
            }
            return out;
        }
        void apply(std::vector<write> writes, callback<void(status)> done) noexcept override
        {
            for (auto& w : writes) {
                if (w.value) {
                    _rows[w.key] = std::move(*w.value);
                } else {
                    _rows.erase(w.key);
                }
            }
            if (done) {
                done(status{});
            }
        }

      private:
        std::map<std::string, std::string, std::less<>> _rows;
    };

    struct null_logger final : logger
    {
        bool enabled(log_level) const noexcept override { return false; }
        void write(log_level, std::string_view) noexcept override {}
    };
    struct null_metric final
      : counter
      , gauge
      , histogram
    {
        void add(std::uint64_t) noexcept override {}
        void add(std::int64_t) noexcept override {}
        void record(std::uint64_t) noexcept override {}
    };
    struct null_metrics final : metrics_scope
    {
        null_metric m;
        counter& make_counter(std::string_view, std::string_view) noexcept override { return m; }
        gauge& make_gauge(std::string_view, std::string_view) noexcept override { return m; }
        histogram& make_histogram(std::string_view, std::string_view) noexcept override { return m; }
    };

    static status unsupported() { return status(errc::not_supported, "fake_kernel has no streams"); }

    /// Posts `done(value)` — or the scripted failure for `verb` — to the executor.
    template<class T>
    void answer(const std::string& verb, callback<void(T)> done, T value)
    {
        _calls.push_back(verb);
        if (auto f = _failures.find(verb); f != _failures.end()) {
            value = T(f->second);
            _failures.erase(f);
        }
        if (done) {
            _exec.post([done = std::move(done), value = std::move(value)]() mutable { done(std::move(value)); });
        }
    }

    /// Hands queued messages to subscribers with credit (posted, like the kernel's deliveries).
    void pump()
    {
        for (auto* s : _subscribers) {
            auto& q = _queues[s->_queue];
            std::vector<delivery> batch;
            while (!q.empty() && !s->_paused && (s->_prefetch == 0 || s->_unacked < s->_prefetch)) {
                delivery d;
                d.tag = s->_next_tag++;
                d.msg = q.front();
                q.pop_front();
                ++s->_unacked;
                batch.push_back(std::move(d));
            }
            if (!batch.empty()) {
                _exec.post([sink = &s->_sink, batch = std::move(batch)]() mutable { sink->deliver(std::move(batch)); });
            }
        }
    }

    fake_executor& _exec;
    std::vector<std::string> _calls;
    std::vector<publish_request> _published;
    std::optional<shard_id> _home_shard;
    std::vector<settle_record> _settles;
    std::map<std::string, status> _failures;
    struct group_offset_key
    {
        std::string vhost, group, stream;
        std::int32_t partition;
        auto operator<=>(const group_offset_key&) const = default;
    };
    std::map<group_offset_key, offset> _offsets;
    std::map<std::string, stream_info> _streams;
    std::map<std::string, std::string> _users{ { "guest", "guest" } };
    std::map<std::string, std::deque<message_ptr>> _queues;
    std::vector<fake_subscription*> _subscribers;
    std::uint64_t _generated = 0;
    std::uint64_t _get_tags = 0;
    std::uint64_t _connections = 0;
    null_logger _log;
    null_metrics _metrics;
    std::map<std::string, std::unique_ptr<memory_kv>, std::less<>> _plugin_stores;
    resource_alarms _alarms;
    std::map<alarm_watch*, callback<void(resource_alarms)>> _alarm_watchers;
};

} // namespace plexus::sdk::testing
