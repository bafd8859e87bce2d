// SUBSCRIBE and UNSUBSCRIBE. Every ordinary subscription is a binding of amq.topic (mqtt.sys
// for a $SYS filter: sys_topics.h) to the session's own queue (so overlapping subscriptions deliver a message once: the
// kernel routes it to the queue once); a shared subscription "$share/<group>/<filter>" is a consumer on the group's
// queue for that filter, which its members compete for (spec 5.0 §4.8.2; membership in
// shared_groups.h). SUBACK goes out when every binding is in
// place, then the retained messages (spec §3.3.1.3).
#include "errors.h"
#include "message_mapping.h"
#include "session.h"
#include "sys_topics.h"

#include <algorithm>

namespace plexus::protocol::mqtt {
namespace {

/// One SUBSCRIBE whose bindings are being made.
struct subscribe_batch
{
    std::uint16_t packet_id = 0;
    std::vector<reason_code> reasons;
    std::vector<std::optional<subscription_entry>> retained_for; ///< per topic: send retained
    std::size_t left = 0;
};

} // namespace

void session::on_subscribe(subscribe_packet&& s)
{
    _consumes = true;
    auto batch = std::make_shared<subscribe_batch>();
    batch->packet_id = s.packet_id;
    batch->reasons.resize(s.topics.size(), reason_code::unspecified_error);
    batch->retained_for.resize(s.topics.size());
    const std::optional<std::uint32_t> id =
      s.props.subscription_identifiers.empty() ? std::nullopt : std::optional(s.props.subscription_identifiers[0]);

    struct work
    {
        std::size_t index;
        subscription_entry entry;
        std::string key;
    };
    std::vector<work> todo;
    for (std::size_t i = 0; i < s.topics.size(); ++i) {
        const auto& t = s.topics[i];
        bool valid = true;
        auto shared = parse_shared(t.filter, valid);
        const std::string& filter = shared ? shared->filter : t.filter;
        if (!valid || !valid_topic_filter(filter)) {
            batch->reasons[i] = reason_code::topic_filter_invalid;
            continue;
        }
        if (shared && t.no_local) {
            fail(reason_code::protocol_error, "no local on a shared subscription");
            return;
        }
        subscription_entry e;
        e.filter = filter;
        e.shared = shared;
        e.qos = std::min<std::uint8_t>(t.qos, 2);
        e.no_local = t.no_local;
        e.retain_as_published = t.retain_as_published;
        e.identifier = id;
        bool is_new = true;
        {
            std::lock_guard lock(_session->mutex);
            is_new = _session->subscriptions.find(t.filter) == _session->subscriptions.end();
            // In place before the binding, so that no delivery it brings is found unmatched.
            _session->subscriptions[t.filter] = e;
        }
        const bool send_retained = !shared && (t.retain_handling == 0 || (t.retain_handling == 1 && is_new));
        if (send_retained) {
            batch->retained_for[i] = e;
        }
        batch->reasons[i] = static_cast<reason_code>(e.qos);
        todo.push_back(work{ i, std::move(e), t.filter });
    }
    batch->left = todo.size() + 1; // +1: released below, once every operation has started

    auto finish_one = [this, alive = _alive, batch](std::size_t index, const std::string& key, sdk::status st) {
        if (!*alive || _state == state::closed) {
            return;
        }
        if (!st.ok()) {
            PLEXUS_LOG(_log, warn, "client '{}': subscribing to '{}': {}", _client_id, key, st.to_string());
            batch->reasons[index] = from_status(st);
            batch->retained_for[index].reset();
            std::lock_guard lock(_session->mutex);
            _session->subscriptions.erase(key);
        }
        if (--batch->left > 0) {
            return;
        }
        persist();
        suback_packet ack;
        ack.packet_id = batch->packet_id;
        ack.reasons = batch->reasons;
        send(ack);
        for (const auto& r : batch->retained_for) {
            if (r) {
                send_retained(*r);
            }
        }
    };

    for (auto& w : todo) {
        if (w.entry.shared) {
            join_group(w.entry, w.key, [index = w.index, key = w.key, finish_one](sdk::status st) {
                finish_one(index, key, st);
            });
            continue;
        }
        ensure_queue([this, alive = _alive, index = w.index, key = w.key, finish_one](sdk::status st) {
            if (!*alive) {
                return;
            }
            if (!st.ok()) {
                finish_one(index, key, st);
                return;
            }
            sdk::binding_spec b;
            b.vhost = _vhost;
            b.exchange = std::string(exchange_for(key));
            b.destination = _own->queue;
            b.key = to_binding_key(key);
            _kernel->bind(b, [index, key, finish_one](sdk::status bst) { finish_one(index, key, bst); });
        });
    }
    finish_one(0, std::string(), sdk::status()); // the +1 above
}

void session::join_group(const subscription_entry& entry, const std::string& key, sdk::callback<void(sdk::status)> then)
{
    struct join
    {
        std::string queue;
        std::string key;
        subscription_entry entry;
        sdk::callback<void(sdk::status)> then;
    };
    auto j = std::make_shared<join>(join{ shared_queue_name(*entry.shared), key, entry, std::move(then) });
    _shared.gateway->groups.join(_vhost, j->queue, _client_id);
    auto failed = [this, j](sdk::status st) {
        if (_shared.gateway->groups.leave(_vhost, j->queue, _client_id)) {
            _kernel->delete_queue(_vhost, j->queue, true, false, [](sdk::result<std::uint64_t>) {});
        }
        j->then(std::move(st));
    };
    auto bind_and_consume = [this, alive = _alive, j, failed] {
        sdk::binding_spec b;
        b.vhost = _vhost;
        b.exchange = std::string(exchange_for(j->entry.shared->filter));
        b.destination = j->queue;
        b.key = to_binding_key(j->entry.shared->filter);
        _kernel->bind(b, [this, alive, j, failed](sdk::status st) {
            if (!*alive) {
                return;
            }
            if (!st.ok()) {
                failed(st);
                return;
            }
            if (_shared_consumers.count(j->key) > 0) {
                j->then(sdk::status()); // subscribed again: the consumer is there already
                return;
            }
            consume(j->queue, j->key, std::move(j->then));
        });
    };
    // The group's first member creates the queue: durable when that member's session is
    // persistent (shared_groups.h). Others find it, whatever it was created as.
    sdk::queue_spec probe;
    probe.vhost = _vhost;
    probe.name = j->queue;
    probe.passive = true;
    _kernel->declare_queue(probe, [this, alive = _alive, j, bind_and_consume, failed](sdk::result<sdk::queue_info> r) {
        if (!*alive) {
            return;
        }
        if (r.ok()) {
            bind_and_consume();
            return;
        }
        sdk::queue_spec spec;
        spec.vhost = _vhost;
        spec.name = j->queue;
        {
            std::lock_guard lock(_session->mutex);
            spec.durable = _session->persistent;
        }
        _kernel->declare_queue(spec, [alive, bind_and_consume, failed](sdk::result<sdk::queue_info> created) {
            if (!*alive) {
                return;
            }
            // Another member may have created it meanwhile, as the other kind: it exists.
            if (created.ok() || created.error().code() == sdk::errc::precondition_failed) {
                bind_and_consume();
                return;
            }
            failed(created.error());
        });
    });
}

void session::rejoin_groups()
{
    _consumes = true;
    std::vector<std::pair<std::string, subscription_entry>> shared;
    {
        std::lock_guard lock(_session->mutex);
        for (const auto& [key, sub] : _session->subscriptions) {
            if (sub.shared) {
                shared.emplace_back(key, sub);
            }
        }
    }
    for (const auto& [key, sub] : shared) {
        join_group(sub, key, [this, alive = _alive, key](sdk::status st) {
            if (*alive && !st.ok()) {
                PLEXUS_LOG(_log, warn, "client '{}': resuming '{}': {}", _client_id, key, st.to_string());
            }
        });
    }
}

void session::ensure_queue(sdk::callback<void(sdk::status)> then)
{
    if (_own) {
        then(sdk::status());
        return;
    }
    _queue_waiters.push_back(std::move(then));
    if (_queue_waiters.size() > 1) {
        return; // already being declared
    }
    // A clean session's queue: server-named and exclusive, so the kernel deletes it with the
    // connection (release_connection).
    sdk::queue_spec spec;
    spec.vhost = _vhost;
    spec.exclusive = true;
    spec.owner = _connection_id;
    _kernel->declare_queue(spec, [this, alive = _alive](sdk::result<sdk::queue_info> r) {
        if (!*alive) {
            return;
        }
        auto answer = [this](sdk::status st) {
            auto waiters = std::move(_queue_waiters);
            _queue_waiters.clear();
            for (auto& w : waiters) {
                w(st);
            }
        };
        if (!r.ok()) {
            answer(r.error());
            return;
        }
        consume(r->name, std::string(), [this, alive = _alive, answer](sdk::status st) {
            if (*alive) {
                answer(st);
            }
        });
    });
}

void session::consume(const std::string& queue, const std::string& shared_key, sdk::callback<void(sdk::status)> then)
{
    auto c = std::make_shared<queue_consumer>(*this, _alive, queue, shared_key);
    sdk::subscribe_request req;
    req.vhost = _vhost;
    req.queue = queue;
    req.consumer_tag = "mqtt:" + _client_id;
    req.connection = _connection_id;
    req.prefetch = std::min<std::uint32_t>(_client_receive_maximum, _config.max_inflight);
    auto* sink = c.get();
    _kernel->subscribe(req,
                       *sink,
                       [this, alive = _alive, c = std::move(c), then = std::move(then)](
                         sdk::result<std::unique_ptr<sdk::subscription>> r) mutable {
                           if (!r.ok()) {
                               if (*alive) {
                                   then(r.error());
                               }
                               return;
                           }
                           c->attach(std::move(*r));
                           if (!*alive) {
                               return; // c goes with this callback, and the subscription with it
                           }
                           if (_consumers_paused) {
                               c->set_paused(true);
                           }
                           if (c->shared_key.empty()) {
                               _own = c;
                           } else {
                               _shared_consumers[c->shared_key] = c;
                           }
                           then(sdk::status());
                       });
}

void session::send_retained(const subscription_entry& sub)
{
    for (auto& [topic, msg] : _shared.retained.matching(_vhost, sub.filter)) {
        if (sub.no_local && publisher_of(*msg) == _client_id) {
            continue;
        }
        auto p = to_publish(*msg, now());
        if (!p) {
            continue;
        }
        p->qos = std::min(published_qos(*msg), sub.qos);
        p->retain = true; // sent because of the subscription: always flagged (spec §3.3.1.3)
        if (sub.identifier && v5()) {
            p->props.subscription_identifiers.push_back(*sub.identifier);
        }
        send_publish(outgoing{ std::move(*p), nullptr, 0 });
    }
}

void session::on_unsubscribe(unsubscribe_packet&& u)
{
    _consumes = true;
    unsuback_packet ack;
    ack.packet_id = u.packet_id;
    for (const auto& f : u.filters) {
        std::optional<subscription_entry> gone;
        {
            std::lock_guard lock(_session->mutex);
            if (auto it = _session->subscriptions.find(f); it != _session->subscriptions.end()) {
                gone = std::move(it->second);
                _session->subscriptions.erase(it);
            }
        }
        ack.reasons.push_back(gone ? reason_code::success : reason_code::no_subscription_existed);
        if (!gone) {
            continue;
        }
        if (gone->shared) {
            // Its unacked deliveries return to the group's queue for the other members.
            _shared_consumers.erase(f);
            std::map<std::string, subscription_entry> one{ { f, *gone } };
            _shared.gateway->leave_groups(*_kernel, _vhost, _client_id, one);
        } else if (_own) {
            sdk::binding_spec b;
            b.vhost = _vhost;
            b.exchange = std::string(exchange_for(f));
            b.destination = _own->queue;
            b.key = to_binding_key(f);
            _kernel->unbind(b, [](sdk::status) {});
        }
    }
    persist();
    send(ack);
}

} // namespace plexus::protocol::mqtt
