// BEGIN / COMMIT / ABORT. The gateway holds a transaction's SENDs and ACKs/NACKs until
// COMMIT, which applies them in order (each SEND waits until stored, so the RECEIPT of a
// COMMIT means every message is in its queues); ABORT drops them, leaving acked messages
// unacked. As AMQP's tx in RabbitMQ (protocols/amqp091/src/channel_tx.cc), a commit is a
// batch, not atomic across queues. Transactions still open at disconnect are aborted.
#include "session.h"
#include "stomp_error.h"

namespace plexus::protocol::stomp {

struct session::commit_state
{
    transaction tx;
    std::size_t next = 0;
    frame f;
};

void session::on_begin(frame&& f)
{
    const auto* tx = f.header("transaction");
    if (tx == nullptr) {
        fail({ "Missing transaction", "BEGIN frames need a transaction header" }, &f);
        return;
    }
    if (_transactions.contains(*tx)) {
        fail({ "Bad transaction", "transaction '" + *tx + "' is already open" }, &f);
        return;
    }
    _transactions.emplace(*tx, transaction{});
    receipt_for(f);
}

void session::on_commit(frame&& f)
{
    const auto* tx = f.header("transaction");
    if (tx == nullptr) {
        fail({ "Missing transaction", "COMMIT frames need a transaction header" }, &f);
        return;
    }
    auto it = _transactions.find(*tx);
    if (it == _transactions.end()) {
        fail({ "Bad transaction", "COMMIT names transaction '" + *tx + "', which was not begun" }, &f);
        return;
    }
    auto c = std::make_shared<commit_state>();
    c->tx = std::move(it->second);
    _transactions.erase(it);
    c->f = std::move(f);
    wait();
    commit_step(std::move(c));
}

void session::commit_step(std::shared_ptr<commit_state> c)
{
    while (c->next < c->tx.ops.size() && _state == state::connected) {
        auto& op = c->tx.ops[c->next++];
        if (auto* held = std::get_if<held_settle>(&op)) {
            settle(held->f);
            continue;
        }
        auto p = std::get<std::shared_ptr<pending_send>>(op);
        p->await_publish = true;
        continue_send(p, [this, alive = _alive, c, p](sdk::status st) mutable {
            if (!*alive) {
                return;
            }
            if (!st.ok()) {
                fail(from_status(st, "committing a SEND to " + p->destination_text), &c->f);
                done();
                return;
            }
            commit_step(std::move(c));
        });
        return;
    }
    if (_state == state::connected) {
        receipt_for(c->f);
    }
    done();
}

void session::on_abort(frame&& f)
{
    const auto* tx = f.header("transaction");
    if (tx == nullptr) {
        fail({ "Missing transaction", "ABORT frames need a transaction header" }, &f);
        return;
    }
    if (_transactions.erase(*tx) == 0) {
        fail({ "Bad transaction", "ABORT names transaction '" + *tx + "', which was not begun" }, &f);
        return;
    }
    receipt_for(f);
}

} // namespace plexus::protocol::stomp
