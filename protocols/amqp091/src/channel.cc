#include "channel.h"

#include "session.h"

#include <fmt/format.h>

namespace plexus::protocol::amqp091 {
namespace {

// A client that keeps sending while one of its own requests is outstanding gets this much
// slack before the connection is closed with resource-error.
constexpr std::size_t max_waiting_inputs = 1u << 16;

} // namespace

channel::channel(session& s, std::uint16_t number)
  : _session(s)
  , _kernel(&s.kernel())
  , _number(number)
{
}

channel::~channel()
{
    release();
}

void channel::on_method(method&& m)
{
    accept(std::move(m));
}

void channel::on_content_header(const sdk::buffer_chain& payload)
{
    accept(header_frame{ payload });
}

void channel::on_content_body(const sdk::buffer_chain& payload)
{
    accept(body_frame{ payload });
}

void channel::accept(input in)
{
    if (_state == state::closing) {
        // Spec §2.2.4: after channel.close only close and close-ok count.
        if (auto* m = std::get_if<method>(&in)) {
            if (std::holds_alternative<channel_close>(*m)) {
                _session.send(_number, channel_close_ok{});
                _state = state::finished;
            } else if (std::holds_alternative<channel_close_ok>(*m)) {
                _state = state::finished;
            }
        }
        return;
    }
    if (_state != state::open) {
        return;
    }
    if (_busy) {
        if (_waiting.size() >= max_waiting_inputs) {
            fail({ reply_code::resource_error,
                   fmt::format("more than {} frames sent on channel {} while a request was outstanding",
                               max_waiting_inputs,
                               _number),
                   0,
                   0 });
            return;
        }
        _waiting.push_back(std::move(in));
        return;
    }
    run(std::move(in));
}

void channel::wait()
{
    _busy = true;
}

void channel::done()
{
    _busy = false;
    while (!_busy && live() && !_waiting.empty()) {
        input in = std::move(_waiting.front());
        _waiting.pop_front();
        run(std::move(in));
    }
}

void channel::run(input&& in)
{
    if (_publishing) {
        on_content(std::move(in));
        return;
    }
    if (auto* m = std::get_if<method>(&in)) {
        run_method(std::move(*m));
        return;
    }
    // Content frames come only after a method that carries content.
    const bool header = std::holds_alternative<header_frame>(in);
    fail({ reply_code::unexpected_frame,
           fmt::format(
             "content {} frame on channel {} without a preceding basic.publish", header ? "header" : "body", _number),
           0,
           0 });
}

void channel::run_method(method&& m)
{
    const auto id = id_of(m);
    if (std::holds_alternative<channel_close>(m)) {
        release();
        _session.send(_number, channel_close_ok{});
        _state = state::finished;
        return;
    }
    if (std::holds_alternative<channel_close_ok>(m)) {
        return; // we sent no close: nothing to confirm
    }
    if (auto* f = std::get_if<channel_flow>(&m)) {
        _flow_active = f->active;
        update_pauses();
        _session.send(_number, channel_flow_ok{ f->active });
        return;
    }
    std::visit(
      [&](auto& x) {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, exchange_declare>) {
              on_exchange_declare(std::move(x));
          } else if constexpr (std::is_same_v<T, exchange_delete>) {
              on_exchange_delete(std::move(x));
          } else if constexpr (std::is_same_v<T, exchange_bind>) {
              on_exchange_bind(std::move(x));
          } else if constexpr (std::is_same_v<T, exchange_unbind>) {
              on_exchange_unbind(std::move(x));
          } else if constexpr (std::is_same_v<T, queue_declare>) {
              on_queue_declare(std::move(x));
          } else if constexpr (std::is_same_v<T, queue_bind>) {
              on_queue_bind(std::move(x));
          } else if constexpr (std::is_same_v<T, queue_unbind>) {
              on_queue_unbind(std::move(x));
          } else if constexpr (std::is_same_v<T, queue_purge>) {
              on_queue_purge(std::move(x));
          } else if constexpr (std::is_same_v<T, queue_delete>) {
              on_queue_delete(std::move(x));
          } else if constexpr (std::is_same_v<T, basic_publish>) {
              on_basic_publish(std::move(x));
          } else if constexpr (std::is_same_v<T, basic_ack>) {
              settle(x.delivery_tag, x.multiple, settle_kind::ack, id);
          } else if constexpr (std::is_same_v<T, basic_nack>) {
              settle(x.delivery_tag, x.multiple, x.requeue ? settle_kind::requeue : settle_kind::drop, id);
          } else if constexpr (std::is_same_v<T, basic_reject>) {
              settle(x.delivery_tag, false, x.requeue ? settle_kind::requeue : settle_kind::drop, id);
          } else if constexpr (std::is_same_v<T, basic_qos>) {
              on_basic_qos(x);
          } else if constexpr (std::is_same_v<T, basic_consume>) {
              on_basic_consume(std::move(x));
          } else if constexpr (std::is_same_v<T, basic_cancel>) {
              on_basic_cancel(x);
          } else if constexpr (std::is_same_v<T, basic_get>) {
              on_basic_get(std::move(x));
          } else if constexpr (std::is_same_v<T, basic_recover>) {
              on_basic_recover(x.requeue, false);
          } else if constexpr (std::is_same_v<T, basic_recover_async>) {
              on_basic_recover(x.requeue, true);
          } else if constexpr (std::is_same_v<T, confirm_select>) {
              on_confirm_select(x);
          } else if constexpr (std::is_same_v<T, tx_select>) {
              on_tx_select();
          } else if constexpr (std::is_same_v<T, tx_commit>) {
              on_tx_commit();
          } else if constexpr (std::is_same_v<T, tx_rollback>) {
              on_tx_rollback();
          } else if constexpr (std::is_same_v<T, basic_return> || std::is_same_v<T, basic_deliver> ||
                               std::is_same_v<T, basic_get_ok> || std::is_same_v<T, basic_get_empty> ||
                               std::is_same_v<T, basic_consume_ok> || std::is_same_v<T, basic_cancel_ok> ||
                               std::is_same_v<T, basic_qos_ok> || std::is_same_v<T, basic_recover_ok> ||
                               std::is_same_v<T, queue_declare_ok> || std::is_same_v<T, queue_bind_ok> ||
                               std::is_same_v<T, queue_unbind_ok> || std::is_same_v<T, queue_purge_ok> ||
                               std::is_same_v<T, queue_delete_ok> || std::is_same_v<T, exchange_declare_ok> ||
                               std::is_same_v<T, exchange_delete_ok> || std::is_same_v<T, exchange_bind_ok> ||
                               std::is_same_v<T, exchange_unbind_ok> || std::is_same_v<T, confirm_select_ok> ||
                               std::is_same_v<T, channel_open_ok> || std::is_same_v<T, channel_flow_ok> ||
                               std::is_same_v<T, tx_select_ok> || std::is_same_v<T, tx_commit_ok> ||
                               std::is_same_v<T, tx_rollback_ok>) {
              fail({ reply_code::command_invalid,
                     fmt::format("{} is sent by servers, not clients", T::name),
                     id.class_id,
                     id.method });
          } else {
              fail(
                { reply_code::not_implemented, fmt::format("{} is not implemented", T::name), id.class_id, id.method });
          }
      },
      m);
}

void channel::fail(const sdk::status& st, failed_call call, method_id in)
{
    amqp_error e = from_status(st, call);
    e.class_id = in.class_id;
    e.method_id = in.method;
    fail(std::move(e));
}

void channel::fail(amqp_error e)
{
    if (e.connection_level()) {
        _session.connection_error(std::move(e));
        return;
    }
    if (_state != state::open) {
        return;
    }
    PLEXUS_LOG(_session.log(),
               debug,
               "connection {} channel {}: closing with {} {}",
               _session.peer().address,
               _number,
               static_cast<std::uint16_t>(e.code),
               e.reply_text());
    release();
    channel_close c;
    c.reply_code = static_cast<std::uint16_t>(e.code);
    c.reply_text = e.reply_text();
    c.class_id = e.class_id;
    c.method_id = e.method_id;
    _session.send(_number, c);
    _state = state::closing;
}

void channel::release()
{
    _waiting.clear();
    _busy = false;
    _publishing.reset();
    _tx_publishes.clear();
    _tx_settles.clear();
    release_consumers();
}

void channel::shutdown()
{
    release();
    _state = state::finished;
}

void channel::send(const method& m)
{
    _session.send(_number, m);
}

void channel::on_writable()
{
    update_pauses();
}

} // namespace plexus::protocol::amqp091
