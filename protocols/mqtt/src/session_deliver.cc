// Broker → client: deliveries from the session's queues become PUBLISH packets at the QoS
// the matching subscriptions granted, with packet ids, the in-flight window (the client's
// receive maximum), and the PUBACK / PUBREC / PUBREL / PUBCOMP flows. A kernel delivery is
// acked when the client has it: at once for QoS 0, on PUBACK for QoS 1, on PUBREC for QoS 2
// (the PUBREL / PUBCOMP that follow are kept in the session state, so that they resume after
// a reconnect). A connection that drops with deliveries unacked leaves them to the queue,
// which redelivers them to the next connection of a persistent session with DUP set.
#include "message_mapping.h"
#include "session.h"

#include <algorithm>

namespace plexus::protocol::mqtt {

void session::deliver(queue_consumer& from, std::vector<sdk::delivery> batch)
{
    auto self = from.shared_from_this();
    if (_state == state::connecting) {
        // A resumed session's queue delivers before CONNACK is out: they wait for it.
        for (auto& d : batch) {
            _before_connack.push_back({ self, std::move(d) });
        }
        return;
    }
    for (auto& d : batch) {
        auto p = _state == state::connected ? prepare(from, d) : std::nullopt;
        if (!p) {
            if (_state == state::connected) {
                from.ack(d.tag); // nothing here wants it (a '$' topic, no local, expired)
            }
            continue; // closing: the subscription's end requeues it
        }
        if (publish_wire_size(*p, _version) > _client_max_packet_size) {
            // Spec 5.0 §3.1.2.11.4: a packet over the client's maximum is discarded.
            from.ack(d.tag);
            continue;
        }
        p->dup = d.redelivered && p->qos > 0;
        send_publish(outgoing{ std::move(*p), self, d.tag });
    }
    deliveries_written();
}

std::optional<publish_packet> session::prepare(const queue_consumer& from, const sdk::delivery& d)
{
    const auto& msg = *d.msg;
    auto p = to_publish(msg, now());
    if (!p) {
        return std::nullopt;
    }
    const std::uint8_t published = published_qos(msg);
    const bool retained = published_retained(msg);
    const bool own = publisher_of(msg) == _client_id;
    std::lock_guard lock(_session->mutex);
    if (!from.shared_key.empty()) {
        auto it = _session->subscriptions.find(from.shared_key);
        if (it == _session->subscriptions.end()) {
            return std::nullopt;
        }
        p->qos = std::min(published, it->second.qos);
        p->retain = retained && it->second.retain_as_published;
        if (it->second.identifier && v5()) {
            p->props.subscription_identifiers.push_back(*it->second.identifier);
        }
        return p;
    }
    // Every ordinary subscription of the session routes to this queue: the message goes out
    // once, at the highest QoS granted by those it matches, with all their identifiers.
    int qos = -1;
    bool keep_retain = false;
    for (const auto& [key, sub] : _session->subscriptions) {
        if (sub.shared || !topic_matches(sub.filter, p->topic) || (sub.no_local && own)) {
            continue;
        }
        qos = std::max<int>(qos, sub.qos);
        keep_retain = keep_retain || sub.retain_as_published;
        if (sub.identifier && v5()) {
            p->props.subscription_identifiers.push_back(*sub.identifier);
        }
    }
    if (qos < 0) {
        if (!_session->restored) {
            return std::nullopt;
        }
        qos = 2; // subscriptions unknown since a restart: the published QoS decides
    }
    p->qos = std::min<std::uint8_t>(published, static_cast<std::uint8_t>(qos));
    p->retain = retained && keep_retain;
    return p;
}

void session::send_publish(outgoing&& o)
{
    if (o.packet.qos == 0) {
        send(o.packet);
        if (o.from) {
            o.from->ack(o.tag);
        }
        return;
    }
    _waiting.push_back(std::move(o));
    pump();
}

void session::pump()
{
    const std::size_t window = std::min<std::size_t>(_client_receive_maximum, _config.max_inflight);
    while (!_waiting.empty() && _inflight.size() < window) {
        auto o = std::move(_waiting.front());
        _waiting.pop_front();
        o.packet.packet_id = next_packet_id();
        _inflight[o.packet.packet_id] = inflight{ o.from, o.tag, o.packet.qos, false };
        send(o.packet);
    }
}

std::uint16_t session::next_packet_id()
{
    // Ids in use are those in flight and the QoS 2 releases kept for the session; the window
    // is far below 65535, so a free one is always found.
    std::lock_guard lock(_session->mutex);
    for (int i = 0; i < 65535; ++i) {
        _last_packet_id = static_cast<std::uint16_t>(_last_packet_id == 65535 ? 1 : _last_packet_id + 1);
        if (_inflight.count(_last_packet_id) == 0 && _session->outbound_qos2.count(_last_packet_id) == 0) {
            break;
        }
    }
    return _last_packet_id;
}

void session::on_puback(const ack_packet& a)
{
    auto it = _inflight.find(a.packet_id);
    if (it == _inflight.end() || it->second.qos != 1) {
        return; // unknown (e.g. from before a reconnect that redelivered it): nothing to do
    }
    if (it->second.from) {
        it->second.from->ack(it->second.tag);
    }
    _inflight.erase(it);
    pump();
    deliveries_written();
}

void session::on_pubrec(const ack_packet& a)
{
    auto it = _inflight.find(a.packet_id);
    if (it == _inflight.end() || it->second.qos != 2) {
        send(ack_packet{ packet_type::pubrel, a.packet_id, reason_code::packet_identifier_not_found, {} });
        return;
    }
    if (!it->second.released && it->second.from) {
        it->second.from->ack(it->second.tag); // the client has it: the kernel is done with it
    }
    if (static_cast<std::uint8_t>(a.reason) >= 0x80) {
        _inflight.erase(it); // the client refused it: the flow ends here (spec 5.0 §4.3.3)
        pump();
        return;
    }
    it->second.released = true;
    it->second.from.reset();
    {
        std::lock_guard lock(_session->mutex);
        _session->outbound_qos2.insert(a.packet_id);
        persist_locked();
    }
    send(ack_packet{ packet_type::pubrel, a.packet_id, reason_code::success, {} });
}

void session::on_pubcomp(const ack_packet& a)
{
    {
        std::lock_guard lock(_session->mutex);
        if (_session->outbound_qos2.erase(a.packet_id) > 0) {
            persist_locked();
        }
    }
    auto it = _inflight.find(a.packet_id);
    if (it != _inflight.end() && it->second.released) {
        _inflight.erase(it);
        pump();
        deliveries_written();
    }
}

void session::resend_releases()
{
    // Spec §4.4: on a resumed session, PUBRELs not yet completed are sent again.
    std::vector<std::uint16_t> ids;
    {
        std::lock_guard lock(_session->mutex);
        ids.assign(_session->outbound_qos2.begin(), _session->outbound_qos2.end());
    }
    for (auto id : ids) {
        _inflight[id] = inflight{ nullptr, 0, 2, true };
        send(ack_packet{ packet_type::pubrel, id, reason_code::success, {} });
    }
}

void session::deliveries_written()
{
    if (!_io.in_pass()) {
        flush();
    }
    if (!_consumers_paused && _conn.above_high_watermark()) {
        _consumers_paused = true;
        if (_own) {
            _own->set_paused(true);
        }
        for (auto& [k, c] : _shared_consumers) {
            c->set_paused(true);
        }
    }
}

void session::consumer_cancelled(queue_consumer& from, const sdk::status& why)
{
    PLEXUS_LOG(
      _log, info, "client '{}': the kernel ended its consumer on '{}': {}", _client_id, from.queue, why.to_string());
    if (&from == _own.get()) {
        fail(reason_code::implementation_specific_error, "the session's queue went away: " + why.to_string());
        return;
    }
    _shared_consumers.erase(from.shared_key);
}

} // namespace plexus::protocol::mqtt
