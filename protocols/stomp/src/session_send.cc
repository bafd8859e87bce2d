// SEND: the destination resolved to an exchange and routing key (declaring the /queue/ or
// /temp-queue/ it names on first use), the headers mapped onto the message, and the publish.
// A SEND with a receipt is answered once the kernel has stored the message (durably when it
// is persistent), so a RECEIPT means the message is in its queues.
#include "message_mapping.h"
#include "queue_arguments.h"
#include "session.h"
#include "stomp_error.h"

#include <chrono>

namespace plexus::protocol::stomp {
namespace {

constexpr std::string_view temp_prefix = "/temp-queue/";
constexpr std::string_view reply_prefix = "/reply-queue/";

} // namespace

void session::on_send(frame&& f)
{
    auto p = prepare_send(f);
    if (!p) {
        return;
    }
    if (const auto* tx = f.header("transaction")) {
        auto it = _transactions.find(*tx);
        if (it == _transactions.end()) {
            fail({ "Bad transaction", "SEND names transaction '" + *tx + "', which was not begun" }, &f);
            return;
        }
        // The SEND's own receipt says it was taken into the transaction; the COMMIT's says
        // it was applied.
        p->receipt.clear();
        it->second.ops.emplace_back(std::move(p));
        receipt_for(f);
        return;
    }
    p->await_publish = !p->receipt.empty();
    wait();
    continue_send(p, [this, alive = _alive, p](sdk::status st) {
        if (!*alive) {
            return;
        }
        if (!st.ok()) {
            fail(from_status(st, "sending to " + p->destination_text));
        } else if (!p->receipt.empty()) {
            receipt(p->receipt);
        }
        done();
    });
}

std::shared_ptr<session::pending_send> session::prepare_send(const frame& f)
{
    const auto* dest = f.header("destination");
    if (dest == nullptr) {
        fail({ "Missing destination", "SEND frames need a destination header" }, &f);
        return nullptr;
    }
    auto target = parse_destination(*dest);
    if (auto* e = std::get_if<frame_error>(&target)) {
        fail(*e, &f);
        return nullptr;
    }
    const auto now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
    auto made = to_message(f, _user, now_ms);
    if (auto* e = std::get_if<frame_error>(&made)) {
        fail(*e, &f);
        return nullptr;
    }
    auto args = queue_arguments(f);
    if (auto* e = std::get_if<frame_error>(&args)) {
        fail(*e, &f);
        return nullptr;
    }
    auto p = std::make_shared<pending_send>();
    p->queue_arguments = std::get<sdk::headers>(std::move(args));
    p->msg = std::get<std::shared_ptr<sdk::message>>(std::move(made));
    p->target = std::get<destination>(std::move(target));
    p->destination_text = *dest;
    if (const auto* r = f.header("receipt")) {
        p->receipt = *r;
    }
    const auto& reply_to = p->msg->properties.reply_to;
    if (reply_to.starts_with(temp_prefix) && reply_to.size() > temp_prefix.size()) {
        p->reply_temp = reply_to.substr(temp_prefix.size());
    }
    return p;
}

void session::continue_send(std::shared_ptr<pending_send> p, callback_status finished)
{
    // Each step that needs the kernel comes back here once it is done (made only then: it
    // takes `finished` with it).
    auto again = [&] {
        return callback_status([this, alive = _alive, p, finished = std::move(finished)](sdk::status st) mutable {
            if (!*alive) {
                return;
            }
            if (!st.ok()) {
                finished(std::move(st));
                return;
            }
            continue_send(std::move(p), std::move(finished));
        });
    };
    if (p->reply_temp) {
        auto it = _temp.find(*p->reply_temp);
        if (it == _temp.end()) {
            ensure_temp_queue(*p->reply_temp, again());
            return;
        }
        // RabbitMQ's rewrite: the responder sends to the queue behind the temp name.
        p->msg->properties.reply_to = std::string(reply_prefix) + it->second;
        p->reply_temp.reset();
    }
    auto& msg = *p->msg;
    const auto& t = p->target;
    switch (t.kind) {
        case destination_kind::queue:
            if (!_declared.contains(t.name)) {
                ensure_queue(t.name, p->queue_arguments, again());
                return;
            }
            msg.exchange.clear();
            msg.routing_key = t.name;
            break;
        case destination_kind::temp_queue: {
            auto it = _temp.find(t.name);
            if (it == _temp.end()) {
                ensure_temp_queue(t.name, again());
                return;
            }
            msg.exchange.clear();
            msg.routing_key = it->second;
            break;
        }
        case destination_kind::topic:
            msg.exchange = std::string(topic_exchange);
            msg.routing_key = t.key;
            break;
        case destination_kind::exchange:
            msg.exchange = t.name;
            msg.routing_key = t.key;
            break;
        case destination_kind::amq_queue:
        case destination_kind::reply_queue:
            msg.exchange.clear();
            msg.routing_key = t.name;
            break;
    }
    publish(p, std::move(finished));
}

void session::publish(const std::shared_ptr<pending_send>& p, callback_status finished)
{
    sdk::publish_request req;
    req.vhost = _vhost;
    req.msg = p->msg;
    // persistent:true asks for durable delivery; a receipt or a commit waits until stored.
    req.level = p->msg->properties.persistent ? sdk::ack_level::durable
                : p->await_publish            ? sdk::ack_level::stored
                                              : sdk::ack_level::none;
    if (!p->await_publish) {
        _kernel.publish(std::move(req),
                        [this, alive = _alive, dest = p->destination_text](sdk::result<sdk::publish_ack> r) {
                            if (*alive && !r) {
                                fail(from_status(r.error(), "sending to " + dest));
                            }
                        });
        finished({});
        return;
    }
    _kernel.publish(std::move(req),
                    [alive = _alive, finished = std::move(finished)](sdk::result<sdk::publish_ack> r) mutable {
                        if (*alive) {
                            finished(r ? sdk::status() : r.error());
                        }
                    });
}

void session::ensure_queue(const std::string& name, const sdk::headers& arguments, callback_status then)
{
    if (_declared.contains(name)) {
        then({});
        return;
    }
    sdk::queue_spec spec;
    spec.vhost = _vhost;
    spec.name = name;
    spec.durable = true; // RabbitMQ's /queue/ destinations are durable queues
    spec.arguments = arguments;
    _kernel.declare_queue(spec,
                          [this, alive = _alive, name, then = std::move(then)](sdk::result<sdk::queue_info> r) mutable {
                              if (!*alive) {
                                  return;
                              }
                              if (r) {
                                  _declared.insert(name);
                              }
                              then(r ? sdk::status() : r.error());
                          });
}

void session::ensure_temp_queue(const std::string& temp, callback_status then)
{
    // A private queue of this connection, consumed by it at once: replies sent to the queue
    // its name was rewritten to arrive as MESSAGEs with subscription /temp-queue/<temp>.
    sdk::queue_spec spec;
    spec.vhost = _vhost;
    spec.exclusive = true;
    spec.owner = _connection_id;
    _kernel.declare_queue(spec,
                          [this, alive = _alive, temp, then = std::move(then)](sdk::result<sdk::queue_info> r) mutable {
                              if (!*alive) {
                                  return;
                              }
                              if (!r) {
                                  then(r.error());
                                  return;
                              }
                              const std::string id = std::string(temp_prefix) + temp;
                              auto s = std::make_shared<subscriber>(*this, _alive, id, id, ack_mode::auto_ack);
                              s->queue = r->name;
                              _temp[temp] = r->name;
                              _subscribers[id] = s;
                              sdk::subscribe_request req;
                              req.vhost = _vhost;
                              req.queue = r->name;
                              req.consumer_tag = id;
                              req.connection = _connection_id;
                              req.auto_ack = true;
                              _kernel.subscribe(req,
                                                *s,
                                                [this, alive = _alive, s, then = std::move(then)](
                                                  sdk::result<std::unique_ptr<sdk::subscription>> sub) mutable {
                                                    if (!*alive) {
                                                        return;
                                                    }
                                                    if (!sub) {
                                                        then(sub.error());
                                                        return;
                                                    }
                                                    attach(*s, std::move(*sub));
                                                    then({});
                                                });
                          });
}

} // namespace plexus::protocol::stomp
