// Transactions (tx.select / commit / rollback) with RabbitMQ's semantics: a transactional
// channel holds its publishes and its acks, nacks and rejects until tx.commit, which hands
// them to the kernel and answers commit-ok once every publish is stored (durable when
// persistent); tx.rollback drops the publishes and returns the acked deliveries to unacked.
// Like RabbitMQ's, a commit is not atomic across queues: it is a batch, not a two-phase
// commit.
#include "channel.h"
#include "message_mapping.h"
#include "session.h"

namespace plexus::protocol::amqp091 {

struct channel::commit_state
{
    std::size_t remaining = 0;
    std::optional<sdk::status> failure;
    std::vector<tx_settle> settles;
};

void channel::on_tx_select()
{
    if (_confirming) {
        fail({ reply_code::precondition_failed,
               "cannot switch from confirm to tx mode",
               tx_select::id.class_id,
               tx_select::id.method });
        return;
    }
    _transactional = true;
    _session.send(_number, tx_select_ok{});
}

void channel::on_tx_commit()
{
    if (!_transactional) {
        fail({ reply_code::precondition_failed,
               "channel is not transactional",
               tx_commit::id.class_id,
               tx_commit::id.method });
        return;
    }
    auto commit = std::make_shared<commit_state>();
    commit->settles = std::exchange(_tx_settles, {});
    auto publishes = std::exchange(_tx_publishes, {});
    commit->remaining = publishes.size();
    wait();
    if (publishes.empty()) {
        committed(commit);
        return;
    }
    for (auto& p : publishes) {
        sdk::publish_request req;
        req.vhost = _session.vhost();
        req.msg = p.msg;
        req.level = p.msg->properties.persistent ? sdk::ack_level::durable : sdk::ack_level::stored;
        _kernel->publish(std::move(req), [w = weak(), commit, p = std::move(p)](sdk::result<sdk::publish_ack> r) {
            auto self = w.lock();
            if (!self || !self->live()) {
                return;
            }
            if (!r) {
                if (!commit->failure) {
                    commit->failure = r.error();
                }
            } else if (r->routed == 0 && p.mandatory) {
                basic_return ret;
                ret.reply_code = static_cast<std::uint16_t>(reply_code::no_route);
                ret.reply_text = "NO_ROUTE";
                ret.exchange = p.msg->exchange;
                ret.routing_key = p.msg->routing_key;
                self->_session.send_content(self->_number, ret, to_properties(*p.msg), p.msg->body);
            }
            if (--commit->remaining == 0) {
                self->committed(commit);
            }
        });
    }
}

void channel::committed(const std::shared_ptr<commit_state>& c)
{
    if (c->failure) {
        // A missing exchange is 404 as for any publish; anything else fails the commit.
        if (c->failure->code() == sdk::errc::not_found) {
            fail(*c->failure, failed_call::publish, tx_commit::id);
        } else {
            fail({ reply_code::precondition_failed,
                   "tx.commit failed: " + c->failure->to_string(),
                   tx_commit::id.class_id,
                   tx_commit::id.method });
        }
        return;
    }
    for (auto& s : c->settles) {
        settle_entries(std::move(s.entries), s.kind);
    }
    _session.send(_number, tx_commit_ok{});
    done();
}

void channel::on_tx_rollback()
{
    if (!_transactional) {
        fail({ reply_code::precondition_failed,
               "channel is not transactional",
               tx_rollback::id.class_id,
               tx_rollback::id.method });
        return;
    }
    _tx_publishes.clear();
    for (auto& s : std::exchange(_tx_settles, {})) {
        _ledger.put_back(std::move(s.entries));
    }
    _session.send(_number, tx_rollback_ok{});
}

} // namespace plexus::protocol::amqp091
