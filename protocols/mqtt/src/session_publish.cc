// Client → broker: PUBLISH at QoS 0, 1 and 2, topic aliases, the receive maximum, and the
// acks, which go out only once the kernel has confirmed the publish, in the order the
// PUBLISH packets came (spec §4.6).
#include "errors.h"
#include "message_mapping.h"
#include "session.h"

namespace plexus::protocol::mqtt {

void session::on_publish(publish_packet&& p)
{
    sys_counters::bump(_shared.counters.publishes_received);
    if (v5() && p.props.topic_alias) {
        const std::uint16_t alias = *p.props.topic_alias;
        if (alias == 0 || alias > _config.topic_alias_maximum) {
            fail(reason_code::topic_alias_invalid,
                 fmt::format("topic alias {} (the maximum is {})", alias, _config.topic_alias_maximum));
            return;
        }
        if (p.topic.empty()) {
            auto it = _topic_aliases.find(alias);
            if (it == _topic_aliases.end()) {
                fail(reason_code::protocol_error, fmt::format("topic alias {} was never set", alias));
                return;
            }
            p.topic = it->second;
        } else {
            _topic_aliases[alias] = p.topic;
        }
        p.props.topic_alias.reset();
    }
    if (p.qos == 0) {
        publish_to_kernel(p, std::nullopt);
        return;
    }
    if (v5() && _inbound_unacked >= _config.receive_maximum) {
        fail(reason_code::receive_maximum_exceeded,
             fmt::format("more than {} QoS 1/2 publishes unacknowledged", _config.receive_maximum));
        return;
    }
    if (p.qos == 2) {
        std::lock_guard lock(_session->mutex);
        // Exactly once: a PUBLISH whose id already got PUBREC is a resend; it is acked again,
        // not published again (spec §4.3.3), also after a reconnect of a persistent session.
        if (!_session->inbound_qos2.insert(p.packet_id).second) {
            send(ack_packet{ packet_type::pubrec, p.packet_id, reason_code::success, {} });
            return;
        }
        persist_locked();
    }
    ++_inbound_unacked;
    publish_to_kernel(p, _next_serial++);
    _acks.push_back(pending_ack{ p.packet_id, p.qos });
}

void session::publish_to_kernel(const publish_packet& p, std::optional<std::uint64_t> ack_serial)
{
    auto msg = to_message(p, _client_id, now());
    if (p.retain) {
        // An empty payload clears the topic's retained message and is still delivered.
        _shared.retained.set(_vhost, p.topic, p.payload.empty() ? nullptr : msg);
    }
    sdk::publish_request req;
    req.vhost = _vhost;
    req.msg = std::move(msg);
    const bool persistent = _session_expiry > 0;
    req.level = p.qos == 0 ? sdk::ack_level::none : persistent ? sdk::ack_level::durable : sdk::ack_level::stored;
    if (!ack_serial) {
        // No answer for the client; the route tells where the subscribers are.
        ++_qos0_unanswered;
        _kernel->publish(std::move(req), [this, alive = _alive](sdk::result<sdk::publish_ack> r) {
            if (!*alive) {
                return;
            }
            --_qos0_unanswered;
            if (r.ok()) {
                _follower.published(r->home_shard);
            }
        });
        return;
    }
    _kernel->publish(std::move(req), [this, alive = _alive, serial = *ack_serial](sdk::result<sdk::publish_ack> r) {
        if (!*alive || _state == state::closed) {
            return;
        }
        if (!r.ok()) {
            PLEXUS_LOG(_log, warn, "client '{}': publish refused: {}", _client_id, r.error().to_string());
            if (!v5()) {
                // 3.1.1 cannot refuse a publish: closing is the only way to say it failed.
                fail(reason_code::unspecified_error, "publish refused: " + r.error().to_string());
                return;
            }
            publish_confirmed(serial, from_status(r.error()));
            return;
        }
        publish_confirmed(serial, r->routed == 0 ? reason_code::no_matching_subscribers : reason_code::success);
        _follower.published(r->home_shard);
    });
}

void session::publish_confirmed(std::uint64_t serial, reason_code reason)
{
    if (serial < _acks_base || serial - _acks_base >= _acks.size()) {
        return;
    }
    auto& a = _acks[serial - _acks_base];
    a.done = true;
    a.reason = reason;
    send_ready_acks();
}

void session::send_ready_acks()
{
    while (!_acks.empty() && _acks.front().done) {
        const auto a = _acks.front();
        _acks.pop_front();
        ++_acks_base;
        const bool failed = static_cast<std::uint8_t>(a.reason) >= 0x80;
        if (a.qos == 1 || failed) {
            if (_inbound_unacked > 0) {
                --_inbound_unacked;
            }
        }
        if (a.qos == 2 && failed) {
            std::lock_guard lock(_session->mutex);
            _session->inbound_qos2.erase(a.packet_id); // not published: a resend may try again
            persist_locked();
        }
        send(ack_packet{ a.qos == 1 ? packet_type::puback : packet_type::pubrec, a.packet_id, a.reason, {} });
    }
}

void session::on_pubrel(const ack_packet& a)
{
    bool known = false;
    {
        std::lock_guard lock(_session->mutex);
        known = _session->inbound_qos2.erase(a.packet_id) > 0;
        if (known) {
            persist_locked();
        }
    }
    if (known && _inbound_unacked > 0) {
        --_inbound_unacked;
    }
    send(ack_packet{
      packet_type::pubcomp, a.packet_id, known ? reason_code::success : reason_code::packet_identifier_not_found, {} });
}

} // namespace plexus::protocol::mqtt
