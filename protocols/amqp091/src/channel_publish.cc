// basic.publish: the method, its content header and body frames assembled into one message
// (the body stays the slices it arrived in), handed to the kernel, and answered with
// basic.return when mandatory and unroutable, and with confirms in confirm mode.
#include "channel.h"
#include "message_mapping.h"
#include "session.h"

#include <fmt/format.h>

namespace plexus::protocol::amqp091 {
namespace {

// RabbitMQ's default max_message_size.
constexpr std::uint64_t max_body_bytes = 128ull << 20;

} // namespace

void channel::on_basic_publish(basic_publish&& m)
{
    if (m.immediate) {
        // As RabbitMQ (since 3.0): immediate delivery is not a broker feature any more.
        fail({ reply_code::not_implemented, "immediate=true", basic_publish::id.class_id, basic_publish::id.method });
        return;
    }
    _session.publishing();
    _publishing = pending_publish{ std::move(m), std::nullopt, 0, {} };
}

void channel::on_content(input&& in)
{
    auto& p = *_publishing;
    auto unexpected = [&](std::string text) {
        _publishing.reset();
        fail({ reply_code::unexpected_frame, std::move(text), basic_publish::id.class_id, basic_publish::id.method });
    };
    if (!p.properties) {
        auto* h = std::get_if<header_frame>(&in);
        if (h == nullptr) {
            unexpected("expected content header for class 60, got non content header frame instead");
            return;
        }
        std::string scratch;
        wire_reader r(contiguous(h->payload, scratch));
        auto header = read_content_header(r);
        if (!r.ok()) {
            _publishing.reset();
            amqp_error e = *r.error();
            e.text = "cannot decode the content header: " + e.text;
            fail(std::move(e));
            return;
        }
        if (header.class_id != class_ids::basic) {
            unexpected(fmt::format("content header for class {} after basic.publish", header.class_id));
            return;
        }
        if (header.body_size > max_body_bytes) {
            _publishing.reset();
            fail(
              { reply_code::precondition_failed,
                fmt::format("message size {} is larger than configured max size {}", header.body_size, max_body_bytes),
                basic_publish::id.class_id,
                basic_publish::id.method });
            return;
        }
        p.properties = std::move(header.properties);
        p.body_size = header.body_size;
    } else {
        auto* b = std::get_if<body_frame>(&in);
        if (b == nullptr) {
            unexpected("expected content body, got non content body frame instead");
            return;
        }
        if (p.body.size() + b->payload.size() > p.body_size) {
            unexpected(
              fmt::format("content body frames carry more than the {} byte(s) the header announced", p.body_size));
            return;
        }
        p.body.append(b->payload);
    }
    if (p.body.size() == p.body_size) {
        pending_publish done_publishing = std::move(p);
        _publishing.reset();
        publish(std::move(done_publishing));
    }
}

void channel::publish(pending_publish&& p)
{
    const bool mandatory = p.method.mandatory;
    const bool persistent = p.properties->delivery_mode == 2;
    auto made = to_message(p.method, std::move(*p.properties), std::move(p.body), _session.user());
    if (auto* e = std::get_if<amqp_error>(&made)) {
        fail(std::move(*e));
        return;
    }
    auto msg = std::get<sdk::message_ptr>(std::move(made));
    if (_transactional) {
        _tx_publishes.push_back({ std::move(msg), mandatory });
        return;
    }
    sdk::publish_request req;
    req.vhost = _session.vhost();
    req.msg = msg;
    std::uint64_t seq = 0;
    if (_confirming) {
        // A persistent message is confirmed once durable (fsync policy), others once stored.
        req.level = persistent ? sdk::ack_level::durable : sdk::ack_level::stored;
        seq = _confirms.next();
    }
    // The message is kept for basic.return only when it may come back.
    sdk::message_ptr keep = mandatory ? msg : nullptr;
    ++_publishes_in_flight;
    _kernel->publish(std::move(req),
                     [w = weak(), seq, mandatory, keep = std::move(keep)](sdk::result<sdk::publish_ack> r) mutable {
                         if (auto self = w.lock()) {
                             --self->_publishes_in_flight;
                             self->published(seq, mandatory, keep, std::move(r));
                         }
                     });
}

void channel::published(std::uint64_t seq, bool mandatory, const sdk::message_ptr& msg, sdk::result<sdk::publish_ack> r)
{
    if (!live()) {
        return;
    }
    if (!r) {
        const auto& st = r.error();
        if (st.code() == sdk::errc::not_found || st.code() == sdk::errc::forbidden) {
            // RabbitMQ closes the channel of a publish to an exchange that does not exist
            // (404) or is internal (403).
            fail(st, failed_call::publish, basic_publish::id);
            return;
        }
        if (_confirming) {
            _confirms.settle(seq, false);
            schedule_confirms();
        } else {
            _session.publish_refused(_number, st);
        }
        return;
    }
    if (r->routed == 0 && mandatory && msg) {
        basic_return ret;
        ret.reply_code = static_cast<std::uint16_t>(reply_code::no_route);
        ret.reply_text = "NO_ROUTE";
        ret.exchange = msg->exchange;
        ret.routing_key = msg->routing_key;
        _session.send_content(_number, ret, to_properties(*msg), msg->body);
    }
    if (_confirming) {
        _confirms.settle(seq, true);
        schedule_confirms();
    }
    _session.published_home(r->home_shard);
}

void channel::on_confirm_select(const confirm_select& m)
{
    if (_transactional) {
        fail({ reply_code::precondition_failed,
               "cannot switch from tx to confirm mode",
               confirm_select::id.class_id,
               confirm_select::id.method });
        return;
    }
    _confirming = true;
    if (!m.no_wait) {
        _session.send(_number, confirm_select_ok{});
    }
}

void channel::schedule_confirms()
{
    // Completions of one batch arrive as separate tasks in one turn; confirming after them
    // lets one basic.ack with multiple cover the batch.
    if (_confirms_posted) {
        return;
    }
    _confirms_posted = true;
    _session.exec().post([w = weak()] {
        if (auto self = w.lock()) {
            self->_confirms_posted = false;
            if (self->live()) {
                self->send_confirms();
            }
        }
    });
}

void channel::send_confirms()
{
    for (const auto& c : _confirms.drain()) {
        if (c.ack) {
            _session.send(_number, basic_ack{ c.tag, c.multiple });
        } else {
            _session.send(_number, basic_nack{ c.tag, c.multiple, false });
        }
    }
}

} // namespace plexus::protocol::amqp091
