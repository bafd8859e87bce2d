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
  , _kernel(s.kernel())
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
          } else if constexpr (std::is_same_v<T, exchange_bind> || std::is_same_v<T, exchange_unbind>) {
              fail({ reply_code::not_implemented,
                     "exchange-to-exchange bindings are not supported (the capability "
                     "exchange_exchange_bindings is false)",
                     id.class_id,
                     id.method });
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
}

void channel::shutdown()
{
    release();
    _state = state::finished;
}

void channel::on_writable() {}

} // namespace plexus::protocol::amqp091
