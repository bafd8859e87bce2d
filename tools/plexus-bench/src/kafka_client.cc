#include "kafka_client.h"

namespace plexus::bench {

namespace {

struct conf_deleter
{
    void operator()(rd_kafka_conf_t* c) const noexcept { rd_kafka_conf_destroy(c); }
};
struct queue_deleter
{
    void operator()(rd_kafka_queue_t* q) const noexcept { rd_kafka_queue_destroy(q); }
};
struct event_deleter
{
    void operator()(rd_kafka_event_t* e) const noexcept { rd_kafka_event_destroy(e); }
};
struct options_deleter
{
    void operator()(rd_kafka_AdminOptions_t* o) const noexcept { rd_kafka_AdminOptions_destroy(o); }
};

using event_ptr = std::unique_ptr<rd_kafka_event_t, event_deleter>;

int millis(std::chrono::milliseconds t)
{
    return static_cast<int>(t.count());
}

/// Runs one admin request whose answer arrives on a queue of its own, and returns that
/// answer (null when none came in time). `send` issues the request on the queue.
template<typename Send>
event_ptr admin_call(kafka_client& admin, rd_kafka_admin_op_t op, std::chrono::milliseconds timeout, Send send)
{
    std::unique_ptr<rd_kafka_queue_t, queue_deleter> answers(rd_kafka_queue_new(admin.get()));
    std::unique_ptr<rd_kafka_AdminOptions_t, options_deleter> opts(rd_kafka_AdminOptions_new(admin.get(), op));
    char err[256];
    rd_kafka_AdminOptions_set_operation_timeout(opts.get(), millis(timeout), err, sizeof err);
    rd_kafka_AdminOptions_set_request_timeout(opts.get(), millis(timeout), err, sizeof err);
    send(opts.get(), answers.get());
    // The request timeout bounds the answer; the margin only covers librdkafka's own turn.
    return event_ptr(rd_kafka_queue_poll(answers.get(), millis(timeout) + 5000));
}

} // namespace

void kafka_failure::note(rd_kafka_t* rk, int err, const char* reason) noexcept
{
    if (!_what.empty()) {
        return;
    }
    char fatal[512];
    if (err == RD_KAFKA_RESP_ERR__FATAL && rk != nullptr) {
        rd_kafka_fatal_error(rk, fatal, sizeof fatal);
        _what = std::string("fatal error: ") + fatal;
    } else if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN || err == RD_KAFKA_RESP_ERR__AUTHENTICATION) {
        // Every other error librdkafka reports it retries by itself (and logs); these two
        // would only repeat until the run's deadlines.
        _what = std::string(rd_kafka_err2str(static_cast<rd_kafka_resp_err_t>(err))) + ": " +
                (reason != nullptr ? reason : "");
    }
}

void kafka_failure::check(const std::string& who) const
{
    if (!_what.empty()) {
        throw driver_error(who + ": " + _what);
    }
}

struct kafka_client::callbacks
{
    static void error(rd_kafka_t* rk, int err, const char* reason, void* self)
    {
        static_cast<kafka_client*>(self)->_failure.note(rk, err, reason);
    }
    static void delivered(rd_kafka_t* rk, const rd_kafka_message_t* m, void* self)
    {
        auto* c = static_cast<kafka_client*>(self);
        c->_dr_msg_cb(rk, m, c->_opaque);
    }
};

kafka_client::kafka_client(rd_kafka_type_t type,
                           const kafka_settings& settings,
                           void (*dr_msg_cb)(rd_kafka_t*, const rd_kafka_message_t*, void*),
                           void* opaque)
  : _opaque(opaque)
  , _dr_msg_cb(dr_msg_cb)
{
    std::unique_ptr<rd_kafka_conf_t, conf_deleter> conf(rd_kafka_conf_new());
    char err[512];
    for (const auto& [key, value] : settings) {
        if (rd_kafka_conf_set(conf.get(), key.c_str(), value.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
            throw driver_error("kafka: setting " + key + "=" + value + ": " + err);
        }
    }
    rd_kafka_conf_set_opaque(conf.get(), this);
    rd_kafka_conf_set_error_cb(conf.get(), callbacks::error);
    if (dr_msg_cb != nullptr) {
        rd_kafka_conf_set_dr_msg_cb(conf.get(), callbacks::delivered);
    }
    _rk = rd_kafka_new(type, conf.get(), err, sizeof err);
    if (_rk == nullptr) {
        throw driver_error(std::string("kafka: cannot create a client: ") + err);
    }
    conf.release(); // rd_kafka_new owns it now
}

kafka_client::~kafka_client()
{
    rd_kafka_destroy(_rk);
}

void kafka_client::await_topic(const std::string& topic, const std::string& who, std::chrono::milliseconds timeout)
{
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(_rk, topic.c_str(), nullptr);
    const rd_kafka_metadata_t* md = nullptr;
    auto err = rd_kafka_metadata(_rk, 0, rkt, &md, millis(timeout));
    rd_kafka_topic_destroy(rkt);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        throw driver_error(who + ": metadata of " + topic + ": " + rd_kafka_err2str(err));
    }
    std::string problem;
    if (md->topic_cnt != 1) {
        problem = "no such topic in the answer";
    } else if (md->topics[0].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        problem = rd_kafka_err2str(md->topics[0].err);
    } else if (md->topics[0].partition_cnt < 1) {
        problem = "the topic has no partition";
    }
    rd_kafka_metadata_destroy(md);
    if (!problem.empty()) {
        throw driver_error(who + ": metadata of " + topic + ": " + problem);
    }
}

void create_topic(kafka_client& admin, const std::string& topic, std::chrono::milliseconds timeout)
{
    char err[512];
    rd_kafka_NewTopic_t* spec = rd_kafka_NewTopic_new(topic.c_str(), 1, 1, err, sizeof err);
    if (spec == nullptr) {
        throw driver_error("kafka: topic " + topic + ": " + err);
    }
    auto answer =
      admin_call(admin, RD_KAFKA_ADMIN_OP_CREATETOPICS, timeout, [&](rd_kafka_AdminOptions_t* o, rd_kafka_queue_t* q) {
          rd_kafka_CreateTopics(admin.get(), &spec, 1, o, q);
      });
    rd_kafka_NewTopic_destroy(spec);
    if (!answer) {
        throw driver_error("kafka: no answer to CreateTopics " + topic);
    }
    if (rd_kafka_event_error(answer.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        throw driver_error("kafka: CreateTopics " + topic + ": " + rd_kafka_event_error_string(answer.get()));
    }
    std::size_t n = 0;
    const auto* result = rd_kafka_event_CreateTopics_result(answer.get());
    const auto* topics = rd_kafka_CreateTopics_result_topics(result, &n);
    if (n != 1) {
        throw driver_error("kafka: CreateTopics " + topic + ": " + std::to_string(n) + " topics in the answer");
    }
    if (rd_kafka_topic_result_error(topics[0]) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        const char* why = rd_kafka_topic_result_error_string(topics[0]);
        throw driver_error("kafka: CreateTopics " + topic + ": " +
                           rd_kafka_err2str(rd_kafka_topic_result_error(topics[0])) +
                           (why != nullptr ? std::string(" (") + why + ")" : ""));
    }
}

bool delete_topic(kafka_client& admin, const std::string& topic, std::chrono::milliseconds timeout) noexcept
{
    rd_kafka_DeleteTopic_t* spec = rd_kafka_DeleteTopic_new(topic.c_str());
    auto answer =
      admin_call(admin, RD_KAFKA_ADMIN_OP_DELETETOPICS, timeout, [&](rd_kafka_AdminOptions_t* o, rd_kafka_queue_t* q) {
          rd_kafka_DeleteTopics(admin.get(), &spec, 1, o, q);
      });
    rd_kafka_DeleteTopic_destroy(spec);
    return answer && rd_kafka_event_error(answer.get()) == RD_KAFKA_RESP_ERR_NO_ERROR;
}

} // namespace plexus::bench
