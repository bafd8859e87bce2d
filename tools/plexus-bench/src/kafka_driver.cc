#include "kafka_driver.h"

#include "kafka_client.h"

#include <cstdio>
#include <string>

namespace plexus::bench {

namespace {

using namespace std::chrono_literals;

constexpr auto broker_timeout = 30s;      // topic creation, metadata
constexpr auto stalled_timeout = 60s;     // a full window or queue with no delivery report
constexpr int message_timeout_ms = 60000; // a record not acknowledged by then is refused
constexpr std::size_t fetch_batch = 1024; // records handed out per poll beyond the first

std::string client_id(std::uint32_t run_id, char role, int index)
{
    char id[48];
    std::snprintf(id, sizeof id, "plexus-bench-%08x-%c%d", run_id, role, index);
    return id;
}

/// What every instance shares: the broker, a name in its logs, and Nagle off (librdkafka's
/// default leaves it on, which holds small requests back by up to 40 ms on Linux).
kafka_settings common_settings(const options& o, const std::string& id)
{
    return {
        { "bootstrap.servers", o.host + ":" + std::to_string(o.port) },
        { "client.id", id },
        { "socket.nagle.disable", "true" },
    };
}

class kafka_publisher final : public publisher
{
  public:
    kafka_publisher(const options& o, const std::string& topic, std::uint32_t run_id, int index)
      : _who("publisher " + std::to_string(index))
      , _acks(o.acks)
      , _window(o.confirm_window)
      , _client(RD_KAFKA_PRODUCER, settings(o, run_id, index), on_report, this)
    {
        _client.await_topic(topic, _who, broker_timeout);
        _topic = rd_kafka_topic_new(_client.get(), topic.c_str(), nullptr);
    }
    ~kafka_publisher() override
    {
        // After a failed run records may still be queued; without the purge, destroying the
        // instance would wait for each to time out (message.timeout.ms).
        rd_kafka_purge(_client.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        rd_kafka_flush(_client.get(), 1000);
        rd_kafka_topic_destroy(_topic);
    }

    void publish(std::span<const std::byte> body) override
    {
        _client.failure().check(_who);
        auto deadline = std::chrono::steady_clock::now() + stalled_timeout;
        while (_window > 0 && _produced - _reported >= _window) {
            wait_for_reports(deadline, "the --confirm window full");
        }
        // RD_KAFKA_MSG_F_COPY: the body is only valid during this call.
        while (
          rd_kafka_produce(
            _topic, 0, RD_KAFKA_MSG_F_COPY, const_cast<std::byte*>(body.data()), body.size(), nullptr, 0, nullptr) !=
          0) {
            auto err = rd_kafka_last_error();
            if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                throw driver_error(_who + ": produce: " + rd_kafka_err2str(err));
            }
            // librdkafka's queue (queue.buffering.max.messages) is the backpressure.
            wait_for_reports(deadline, "librdkafka's queue full");
        }
        ++_produced;
        rd_kafka_poll(_client.get(), 0); // serves the delivery reports that are in
    }

    bool wait_confirms(std::chrono::steady_clock::time_point deadline) override
    {
        // Lingering batches go now; flush serves their reports.
        while (_reported < _produced && std::chrono::steady_clock::now() < deadline) {
            rd_kafka_flush(_client.get(), 100);
            _client.failure().check(_who);
        }
        return _reported >= _produced;
    }

    publisher_counts counts() const override
    {
        // With acks 0 a report says the record was written, not that the broker has it.
        return { _acks == 0 ? 0 : _delivered, _refused };
    }

  private:
    static kafka_settings settings(const options& o, std::uint32_t run_id, int index)
    {
        auto s = common_settings(o, client_id(run_id, 'p', index));
        s.emplace_back("acks", std::to_string(o.acks));
        s.emplace_back("linger.ms", std::to_string(o.kafka_linger_ms()));
        s.emplace_back("message.timeout.ms", std::to_string(message_timeout_ms));
        return s;
    }

    /// Delivery reports are served by rd_kafka_poll() and rd_kafka_flush(), which only the
    /// publishing thread calls: the counters need no lock.
    static void on_report(rd_kafka_t*, const rd_kafka_message_t* m, void* self)
    {
        auto* p = static_cast<kafka_publisher*>(self);
        ++p->_reported;
        if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            ++p->_delivered;
        } else {
            ++p->_refused;
            if (p->_first_refusal.empty()) {
                p->_first_refusal = rd_kafka_err2str(m->err);
                std::fprintf(
                  stderr, "plexus-bench: %s: a record was refused: %s\n", p->_who.c_str(), p->_first_refusal.c_str());
            }
        }
    }

    void wait_for_reports(std::chrono::steady_clock::time_point deadline, const char* why)
    {
        auto before = _reported;
        rd_kafka_poll(_client.get(), 10);
        _client.failure().check(_who);
        if (_reported == before && std::chrono::steady_clock::now() > deadline) {
            throw driver_error(
              _who + ": no delivery report for " +
              std::to_string(std::chrono::duration_cast<std::chrono::seconds>(stalled_timeout).count()) + " s with " +
              why);
        }
    }

    std::string _who;
    int _acks;
    std::uint32_t _window; // 0: no window of our own
    std::uint64_t _produced = 0;
    std::uint64_t _reported = 0; // delivery reports, good or bad
    std::uint64_t _delivered = 0;
    std::uint64_t _refused = 0;
    std::string _first_refusal;
    kafka_client _client; // after the counters its callbacks touch
    rd_kafka_topic_t* _topic = nullptr;
};

class kafka_subscriber final : public subscriber
{
  public:
    kafka_subscriber(const options& o, const std::string& topic, std::uint32_t run_id, int index)
      : _who("consumer " + std::to_string(index))
      , _topic(topic)
      , _client(RD_KAFKA_CONSUMER, settings(o, run_id, index), nullptr, nullptr)
    {
        _client.await_topic(topic, _who, broker_timeout);
        // Errors and records both arrive where rd_kafka_consumer_poll() looks.
        rd_kafka_poll_set_consumer(_client.get());
        if (!o.backlog) {
            assign(); // fetching from now on, before the first publisher connects
        }
        _queue = rd_kafka_queue_get_consumer(_client.get()); // last: the destructor frees it
    }
    ~kafka_subscriber() override
    {
        rd_kafka_queue_destroy(_queue);
        rd_kafka_consumer_close(_client.get());
    }

    std::size_t poll(std::chrono::milliseconds timeout, delivery_sink& sink) override
    {
        if (!_assigned) {
            assign();
        }
        // The first record is waited for; what else is already fetched is taken without
        // waiting, as a batch call with a timeout may wait for the whole batch to fill.
        rd_kafka_message_t* first = rd_kafka_consumer_poll(_client.get(), static_cast<int>(timeout.count()));
        _client.failure().check(_who);
        if (first == nullptr) {
            return 0;
        }
        std::size_t n = take(first, sink);
        rd_kafka_message_t* more[fetch_batch];
        auto got = rd_kafka_consume_batch_queue(_queue, 0, more, fetch_batch);
        for (ssize_t i = 0; i < got; ++i) {
            n += take(more[i], sink);
        }
        return n;
    }

  private:
    static kafka_settings settings(const options& o, std::uint32_t run_id, int index)
    {
        auto s = common_settings(o, client_id(run_id, 'c', index));
        // librdkafka's assign() needs a group id; nothing is joined or committed under it.
        s.emplace_back("group.id", client_id(run_id, 'g', index));
        s.emplace_back("enable.auto.commit", "false");
        s.emplace_back("enable.auto.offset.store", "false");
        return s;
    }

    /// Partition 0 from offset 0: the topic is this run's and was created empty, so that is
    /// its beginning, and no ListOffsets round trip delays the first fetch.
    void assign()
    {
        auto* parts = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(parts, _topic.c_str(), 0)->offset = 0;
        auto err = rd_kafka_assign(_client.get(), parts);
        rd_kafka_topic_partition_list_destroy(parts);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            throw driver_error(_who + ": assign " + _topic + " partition 0: " + rd_kafka_err2str(err));
        }
        _assigned = true;
    }

    /// Hands one record to the sink and frees it; a consumer error ends the run.
    std::size_t take(rd_kafka_message_t* m, delivery_sink& sink)
    {
        if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            std::string why = rd_kafka_message_errstr(m);
            auto err = m->err;
            rd_kafka_message_destroy(m);
            if (err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                return 0;
            }
            throw driver_error(_who + ": fetch: " + why);
        }
        sink.on_delivery(std::span<const std::byte>(static_cast<const std::byte*>(m->payload), m->len), false);
        rd_kafka_message_destroy(m);
        return 1;
    }

    std::string _who;
    std::string _topic;
    kafka_client _client;
    rd_kafka_queue_t* _queue = nullptr;
    bool _assigned = false;
};

class kafka_driver final : public driver
{
  public:
    explicit kafka_driver(const options& o)
      : _o(o)
    {
        if (_o.port == 0) {
            _o.port = 9092;
        }
        if (_o.manual_ack || _o.persistent || _o.prefetch > 0 || !_o.queue_type.empty() || _o.qos != 0) {
            throw driver_error("kafka: --manual-ack, --persistent, --prefetch, --queue-type and --qos are options of "
                               "other drivers");
        }
        if (_o.consumer_count() > _o.destinations()) {
            // Sharing a destination would take a consumer group over several partitions.
            throw driver_error("kafka: at most one consumer per destination (--fanout N for N readers of the topic)");
        }
    }

    std::string_view protocol() const noexcept override { return "kafka"; }

    void prepare(std::uint32_t run_id) override
    {
        _run_id = run_id;
        char topic[48];
        std::snprintf(topic, sizeof topic, "plexus-bench-%08x", run_id);
        _topic = topic;
        _admin = std::make_unique<kafka_client>(
          RD_KAFKA_PRODUCER, common_settings(_o, client_id(run_id, 'a', 0)), nullptr, nullptr);
        create_topic(*_admin, _topic, broker_timeout);
    }

    std::unique_ptr<publisher> open_publisher(int index) override
    {
        return std::make_unique<kafka_publisher>(_o, _topic, _run_id, index);
    }

    std::unique_ptr<subscriber> open_subscriber(int index, int) override
    {
        // Every destination reads the whole partition: Kafka's fanout is readers, not copies.
        return std::make_unique<kafka_subscriber>(_o, _topic, _run_id, index);
    }

    void clean_up() noexcept override
    {
        if (_admin && !delete_topic(*_admin, _topic, 10s)) {
            std::fprintf(stderr, "plexus-bench: kafka: topic %s was not deleted\n", _topic.c_str());
        }
        _admin.reset();
    }

  private:
    options _o;
    std::uint32_t _run_id = 0;
    std::string _topic;
    std::unique_ptr<kafka_client> _admin;
};

} // namespace

std::unique_ptr<driver> make_kafka_driver(const options& o)
{
    return std::make_unique<kafka_driver>(o);
}

} // namespace plexus::bench
