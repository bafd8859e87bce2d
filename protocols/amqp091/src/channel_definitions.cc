// exchange.* and queue.*: declares, deletes, bindings and purges, each a kernel control call
// that the channel waits for (channel.h).
#include "arguments.h"
#include "channel.h"
#include "session.h"

#include <fmt/format.h>

#include <limits>

namespace plexus::protocol::amqp091 {
namespace {

std::uint32_t clamp32(std::uint64_t n)
{
    return static_cast<std::uint32_t>(std::min<std::uint64_t>(n, std::numeric_limits<std::uint32_t>::max()));
}

amqp_error reserved_prefix(std::string_view kind, std::string_view name, method_id in)
{
    return { reply_code::access_refused,
             fmt::format("{} name '{}' contains reserved prefix 'amq.*'", kind, name),
             in.class_id,
             in.method };
}

} // namespace

bool channel::resolve_queue(std::string& name, method_id in)
{
    if (!name.empty()) {
        return true;
    }
    if (_last_queue.empty()) {
        fail({ reply_code::not_found, "no previously declared queue", in.class_id, in.method });
        return false;
    }
    name = _last_queue;
    return true;
}

void channel::unless_locked(const std::string& queue, method_id in, sdk::callback<void()> then)
{
    // The kernel checks exclusive ownership on declare and consume only; a passive declare
    // in this connection's name finds out for the other verbs, as RabbitMQ answers 405 there.
    sdk::queue_spec probe;
    probe.vhost = _session.vhost();
    probe.name = queue;
    probe.passive = true;
    probe.owner = _session.connection_id();
    wait();
    _kernel->declare_queue(probe, [w = weak(), in, then = std::move(then)](sdk::result<sdk::queue_info> r) mutable {
        auto self = w.lock();
        if (!self || !self->live()) {
            return;
        }
        if (!r && r.error().code() == sdk::errc::locked) {
            self->fail(r.error(), failed_call::other, in);
            return;
        }
        then(); // not found or a stream: the verb itself says so
    });
}

// ---- exchanges -----------------------------------------------------------------------------

void channel::on_exchange_declare(exchange_declare&& m)
{
    static constexpr method_id in = exchange_declare::id;
    if (m.exchange.empty() && !m.passive) {
        fail({ reply_code::access_refused, "operation not permitted on the default exchange", in.class_id, in.method });
        return;
    }
    sdk::exchange_spec spec;
    spec.vhost = _session.vhost();
    spec.name = m.exchange;
    spec.type = m.type;
    spec.durable = m.durable;
    spec.auto_delete = m.auto_delete;
    spec.internal = m.internal;
    spec.passive = m.passive;
    spec.arguments = to_arguments(m.arguments);
    auto declare = [this, no_wait = m.no_wait](sdk::exchange_spec s) {
        _kernel->declare_exchange(
          s, answer_with<sdk::status>(in, failed_call::exchange_declare, no_wait, [](channel&, const sdk::status&) {
              return exchange_declare_ok{};
          }));
    };
    wait();
    if (m.passive || !m.exchange.starts_with("amq.")) {
        declare(std::move(spec));
        return;
    }
    // Clients may redeclare the built-in amq.* exchanges (equivalently) but not make new ones.
    sdk::exchange_spec probe = spec;
    probe.passive = true;
    _kernel->declare_exchange(probe, [w = weak(), spec = std::move(spec), declare](sdk::status st) mutable {
        auto self = w.lock();
        if (!self || !self->live()) {
            return;
        }
        if (st.code() == sdk::errc::not_found) {
            self->fail(reserved_prefix("exchange", spec.name, in));
        } else if (!st.ok()) {
            self->fail(st, failed_call::exchange_declare, in);
        } else {
            declare(std::move(spec));
        }
    });
}

void channel::on_exchange_delete(exchange_delete&& m)
{
    static constexpr method_id in = exchange_delete::id;
    wait();
    // Deleting an exchange that is not there succeeds, as in RabbitMQ.
    _kernel->delete_exchange(_session.vhost(),
                             m.exchange,
                             m.if_unused,
                             answer_with<sdk::status>(
                               in,
                               failed_call::other,
                               m.no_wait,
                               [](channel&, const sdk::status&) { return exchange_delete_ok{}; },
                               [](const sdk::status& st) { return st.code() == sdk::errc::not_found; }));
}

// ---- queues --------------------------------------------------------------------------------

void channel::on_queue_declare(queue_declare&& m)
{
    static constexpr method_id in = queue_declare::id;
    if (!m.passive && m.queue.starts_with("amq.")) {
        fail(reserved_prefix("queue", m.queue, in));
        return;
    }
    if (const auto* type = find_field(m.arguments, "x-queue-type")) {
        const auto* s = std::get_if<std::string>(&type->value);
        if (s == nullptr || (*s != "classic" && *s != "quorum" && *s != "stream")) {
            fail({ reply_code::precondition_failed,
                   "invalid arg 'x-queue-type': expected one of classic, quorum, stream",
                   in.class_id,
                   in.method });
            return;
        }
    }
    sdk::queue_spec spec;
    spec.vhost = _session.vhost();
    spec.name = m.queue;
    spec.durable = m.durable;
    spec.exclusive = m.exclusive;
    spec.auto_delete = m.auto_delete;
    spec.passive = m.passive;
    spec.owner = _session.connection_id();
    spec.arguments = to_arguments(m.arguments);
    wait();
    _kernel->declare_queue(spec,
                           answer_with<sdk::result<sdk::queue_info>>(
                             in, failed_call::queue_declare, m.no_wait, [](channel& self, const auto& r) {
                                 self._last_queue = r->name;
                                 return queue_declare_ok{ r->name, clamp32(r->messages), r->consumers };
                             }));
}

void channel::on_queue_bind(queue_bind&& m)
{
    static constexpr method_id in = queue_bind::id;
    const bool defaulted = m.queue.empty();
    if (!resolve_queue(m.queue, in)) {
        return;
    }
    sdk::binding_spec spec;
    spec.vhost = _session.vhost();
    spec.exchange = m.exchange;
    spec.destination = m.queue;
    // Spec: with the queue defaulted, an empty routing key is the queue's name too.
    spec.key = defaulted && m.routing_key.empty() ? m.queue : m.routing_key;
    spec.arguments = to_arguments(m.arguments);
    unless_locked(m.queue, in, [this, spec = std::move(spec), no_wait = m.no_wait]() mutable {
        _kernel->bind(spec, answer_with<sdk::status>(in, failed_call::bind, no_wait, [](channel&, const sdk::status&) {
                          return queue_bind_ok{};
                      }));
    });
}

void channel::on_exchange_bind(exchange_bind&& m)
{
    static constexpr method_id in = exchange_bind::id;
    sdk::binding_spec spec;
    spec.vhost = _session.vhost();
    spec.exchange = m.source;
    spec.destination = m.destination;
    spec.destination_is_exchange = true;
    spec.key = m.routing_key;
    spec.arguments = to_arguments(m.arguments);
    wait();
    _kernel->bind(spec, answer_with<sdk::status>(in, failed_call::bind, m.no_wait, [](channel&, const sdk::status&) {
                      return exchange_bind_ok{};
                  }));
}

void channel::on_exchange_unbind(exchange_unbind&& m)
{
    static constexpr method_id in = exchange_unbind::id;
    sdk::binding_spec spec;
    spec.vhost = _session.vhost();
    spec.exchange = m.source;
    spec.destination = m.destination;
    spec.destination_is_exchange = true;
    spec.key = m.routing_key;
    spec.arguments = to_arguments(m.arguments);
    wait();
    // As queue.unbind: removing a binding that does not exist succeeds.
    _kernel->unbind(spec,
                    answer_with<sdk::status>(
                      in,
                      failed_call::bind,
                      m.no_wait,
                      [](channel&, const sdk::status&) { return exchange_unbind_ok{}; },
                      [](const sdk::status& st) {
                          return st.code() == sdk::errc::not_found && st.message().starts_with("no binding");
                      }));
}

void channel::on_queue_unbind(queue_unbind&& m)
{
    static constexpr method_id in = queue_unbind::id;
    if (!resolve_queue(m.queue, in)) {
        return;
    }
    sdk::binding_spec spec;
    spec.vhost = _session.vhost();
    spec.exchange = m.exchange;
    spec.destination = m.queue;
    spec.key = m.routing_key;
    spec.arguments = to_arguments(m.arguments);
    wait();
    // Removing a binding that does not exist succeeds, as in RabbitMQ. The facade has no code
    // of its own for that case; its message names it. queue.unbind has no no-wait.
    _kernel->unbind(spec,
                    answer_with<sdk::status>(
                      in,
                      failed_call::bind,
                      false,
                      [](channel&, const sdk::status&) { return queue_unbind_ok{}; },
                      [](const sdk::status& st) {
                          return st.code() == sdk::errc::not_found && st.message().starts_with("no binding");
                      }));
}

void channel::on_queue_purge(queue_purge&& m)
{
    static constexpr method_id in = queue_purge::id;
    if (!resolve_queue(m.queue, in)) {
        return;
    }
    unless_locked(m.queue, in, [this, queue = m.queue, no_wait = m.no_wait] {
        _kernel->purge_queue(
          _session.vhost(),
          queue,
          answer_with<sdk::result<std::uint64_t>>(
            in, failed_call::other, no_wait, [](channel&, const auto& r) { return queue_purge_ok{ clamp32(*r) }; }));
    });
}

void channel::on_queue_delete(queue_delete&& m)
{
    static constexpr method_id in = queue_delete::id;
    if (!resolve_queue(m.queue, in)) {
        return;
    }
    unless_locked(
      m.queue, in, [this, queue = m.queue, if_unused = m.if_unused, if_empty = m.if_empty, no_wait = m.no_wait] {
          // Deleting a queue that is not there succeeds with 0 messages, as in RabbitMQ.
          _kernel->delete_queue(_session.vhost(),
                                queue,
                                if_unused,
                                if_empty,
                                answer_with<sdk::result<std::uint64_t>>(
                                  in,
                                  failed_call::other,
                                  no_wait,
                                  [](channel&, const auto& r) { return queue_delete_ok{ r ? clamp32(*r) : 0 }; },
                                  [](const sdk::status& st) { return st.code() == sdk::errc::not_found; }));
      });
}

} // namespace plexus::protocol::amqp091
