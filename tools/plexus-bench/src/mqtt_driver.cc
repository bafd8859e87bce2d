#include "mqtt_driver.h"

#include <MQTTAsync.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

namespace plexus::bench {

namespace {

// Paho's asynchronous client: one library thread writes for every client of the process and
// one reads, and every call returns at once. Its synchronous MQTTClient serialises connects
// behind one lock, each waiting for turns of a 100 ms poll loop (1 000 connections took
// minutes), and blocks full windows in the same loop. The callbacks here only hand over,
// under a lock, to the runner's thread of that connection.
constexpr std::uint32_t default_window = 1000;
constexpr int broker_timeout_s = 30;       // CONNACK, SUBACK
constexpr int disconnect_timeout_ms = 100; // clean sessions: nothing worth waiting for at the end

std::string describe(int rc, int mqtt_version)
{
    if (rc < 0) {
        return MQTTAsync_strerror(rc);
    }
    if (mqtt_version == 5) {
        return std::string("reason code ") + std::to_string(rc) + " (" +
               MQTTReasonCode_toString(static_cast<MQTTReasonCodes>(rc)) + ")";
    }
    return "return code " + std::to_string(rc);
}

/// What a connection's callbacks report; they run on Paho's threads.
class events
{
  public:
    virtual void on_message(std::span<const std::byte> body, bool dup) noexcept = 0;
    virtual void on_lost(const char* cause) noexcept = 0;

  protected:
    ~events() = default;
};

int message_arrived(void* context, char* topic, int, MQTTAsync_message* m)
{
    static_cast<events*>(context)->on_message(
      std::span<const std::byte>(static_cast<const std::byte*>(m->payload), static_cast<std::size_t>(m->payloadlen)),
      m->dup != 0);
    MQTTAsync_freeMessage(&m);
    MQTTAsync_free(topic);
    return 1; // taken
}

void connection_lost(void* context, char* cause)
{
    static_cast<events*>(context)->on_lost(cause);
}

/// The answer to one request (connect, subscribe, disconnect), filled in by Paho's callbacks.
class outcome
{
  public:
    void finish(bool ok, std::string why, int receive_maximum = 0)
    {
        {
            std::lock_guard lock(_mutex);
            _done = true;
            _ok = ok;
            _why = std::move(why);
            _receive_maximum = receive_maximum;
        }
        _cv.notify_all();
    }
    /// False when no answer came in time.
    bool wait(std::chrono::milliseconds timeout)
    {
        std::unique_lock lock(_mutex);
        return _cv.wait_for(lock, timeout, [&] { return _done; });
    }
    void reset()
    {
        std::lock_guard lock(_mutex);
        _done = false;
    }
    bool ok() const noexcept { return _ok; }
    const std::string& why() const noexcept { return _why; }
    int receive_maximum() const noexcept { return _receive_maximum; }

    static void succeeded(void* context, MQTTAsync_successData* d)
    {
        // A v3.1.1 SUBACK may refuse the filter with 0x80 as its granted QoS.
        bool refused = d != nullptr && d->alt.qos == 0x80;
        static_cast<outcome*>(context)->finish(!refused, refused ? "return code 128" : "");
    }
    static void succeeded5(void* context, MQTTAsync_successData5* d)
    {
        auto* self = static_cast<outcome*>(context);
        if (d != nullptr && d->reasonCode >= MQTTREASONCODE_UNSPECIFIED_ERROR) {
            self->finish(false, describe(d->reasonCode, 5));
            return;
        }
        int receive_maximum = 0;
        if (d != nullptr && MQTTProperties_hasProperty(&d->properties, MQTTPROPERTY_CODE_RECEIVE_MAXIMUM) != 0) {
            receive_maximum = MQTTProperties_getNumericValue(&d->properties, MQTTPROPERTY_CODE_RECEIVE_MAXIMUM);
        }
        self->finish(true, "", receive_maximum);
    }
    static void failed(void* context, MQTTAsync_failureData* d)
    {
        static_cast<outcome*>(context)->finish(
          false, d == nullptr ? "failed" : describe(d->code, 4) + (d->message ? std::string(": ") + d->message : ""));
    }
    static void failed5(void* context, MQTTAsync_failureData5* d)
    {
        static_cast<outcome*>(context)->finish(false,
                                               d == nullptr
                                                 ? "failed"
                                                 : describe(d->reasonCode != 0 ? int(d->reasonCode) : d->code, 5) +
                                                     (d->message ? std::string(": ") + d->message : ""));
    }

  private:
    std::mutex _mutex;
    std::condition_variable _cv;
    bool _done = false;
    bool _ok = false;
    std::string _why;
    int _receive_maximum = 0;
};

template<typename Options>
void expect_answer(Options& opts, int version, outcome& o)
{
    opts.context = &o;
    if (version == 5) {
        opts.onSuccess5 = outcome::succeeded5;
        opts.onFailure5 = outcome::failed5;
    } else {
        opts.onSuccess = outcome::succeeded;
        opts.onFailure = outcome::failed;
    }
}

/// Wakes Paho's reading thread. It polls the sockets it knew when the poll began, for up to
/// a second, so a connection opened meanwhile waits that long for its CONNACK (1 000
/// connections, or a smoke run of many short scenarios, would wait minutes). Inbound bytes on
/// a known socket end the poll: see mqtt_driver's nudging connection.
class waker
{
  public:
    virtual void wake() noexcept = 0;

  protected:
    ~waker() = default;
};

/// One connected Paho client with a clean session; disconnects when destroyed. Declared after
/// the state its callbacks touch, so that it goes first.
class connection
{
  public:
    /// `window`: the most publishes the owner hands over before Paho has sent them. `w`, if
    /// any, is woken while the CONNACK is awaited.
    connection(const options& o,
               const std::string& client_id,
               std::string role,
               events& e,
               std::uint32_t window,
               waker* w = nullptr)
      : _version(o.mqtt_version)
      , _role(std::move(role))
      , _waker(w)
    {
        MQTTAsync_createOptions create = MQTTAsync_createOptions_initializer;
        create.MQTTVersion = _version == 5 ? MQTTVERSION_5 : MQTTVERSION_3_1_1;
        // Paho refuses a publish while this many commands wait for its send thread, connected
        // or not (default 100); the publisher's own window is the limit that matters.
        create.maxBufferedMessages = int(window) + 16;
        auto uri = "tcp://" + o.host + ":" + std::to_string(o.port);
        int rc = MQTTAsync_createWithOptions(
          &_handle, uri.c_str(), client_id.c_str(), MQTTCLIENT_PERSISTENCE_NONE, nullptr, &create);
        if (rc != MQTTASYNC_SUCCESS) {
            throw driver_error(_role + ": cannot create a client: " + describe(rc, _version));
        }
        MQTTAsync_setCallbacks(_handle, &e, connection_lost, message_arrived, nullptr);
        MQTTAsync_connectOptions c = MQTTAsync_connectOptions_initializer;
        MQTTAsync_connectOptions c5 = MQTTAsync_connectOptions_initializer5;
        auto& opts = _version == 5 ? c5 : c;
        opts.keepAliveInterval = 60;
        opts.username = o.user.c_str();
        opts.password = o.password.c_str();
        opts.connectTimeout = broker_timeout_s;
        opts.automaticReconnect = 0; // a dropped connection ends the run
        if (_version == 5) {
            opts.cleanstart = 1;
        } else {
            opts.cleansession = 1;
        }
        expect_answer(opts, _version, _answer);
        rc = MQTTAsync_connect(_handle, &opts);
        if (rc != MQTTASYNC_SUCCESS) {
            fail("connect to " + uri + ": " + describe(rc, _version));
        }
        if (!wait_waking(std::chrono::seconds(broker_timeout_s + 5))) {
            fail("no CONNACK from " + uri);
        }
        if (!_answer.ok()) {
            fail("connect to " + uri + " refused: " + _answer.why());
        }
        _receive_maximum = _answer.receive_maximum();
    }
    ~connection()
    {
        if (MQTTAsync_isConnected(_handle) != 0) {
            MQTTAsync_disconnectOptions d = MQTTAsync_disconnectOptions_initializer;
            MQTTAsync_disconnectOptions d5 = MQTTAsync_disconnectOptions_initializer5;
            auto& opts = _version == 5 ? d5 : d;
            opts.timeout = disconnect_timeout_ms;
            _answer.reset();
            expect_answer(opts, _version, _answer);
            if (MQTTAsync_disconnect(_handle, &opts) == MQTTASYNC_SUCCESS) {
                wait_waking(std::chrono::milliseconds(10 * disconnect_timeout_ms));
            }
        }
        MQTTAsync_destroy(&_handle);
    }
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    MQTTAsync get() const noexcept { return _handle; }
    int version() const noexcept { return _version; }
    const std::string& role() const noexcept { return _role; }
    /// The broker's receive maximum (v5 CONNACK), 0 when it announced none.
    int receive_maximum() const noexcept { return _receive_maximum; }

    /// Subscribes and waits for the SUBACK.
    void subscribe(const std::string& filter, int qos)
    {
        MQTTAsync_responseOptions r = MQTTAsync_responseOptions_initializer;
        _answer.reset();
        expect_answer(r, _version, _answer);
        int rc = MQTTAsync_subscribe(_handle, filter.c_str(), qos, &r);
        if (rc != MQTTASYNC_SUCCESS) {
            throw driver_error(_role + ": subscribe to " + filter + ": " + describe(rc, _version));
        }
        if (!_answer.wait(std::chrono::seconds(broker_timeout_s))) {
            throw driver_error(_role + ": no SUBACK for " + filter);
        }
        if (!_answer.ok()) {
            throw driver_error(_role + ": subscribe to " + filter + " refused: " + _answer.why());
        }
    }

  private:
    /// Waits for the answer to the request in flight, waking Paho's reading thread meanwhile
    /// when there is a waker. False when no answer came in time.
    bool wait_waking(std::chrono::milliseconds timeout)
    {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        auto step = std::chrono::milliseconds(_waker != nullptr ? 5 : 100);
        while (!_answer.wait(step)) {
            if (std::chrono::steady_clock::now() > deadline) {
                return false;
            }
            if (_waker != nullptr) {
                _waker->wake();
            }
        }
        return true;
    }

    /// Construction failed: nothing may call back into this object any more.
    [[noreturn]] void fail(const std::string& why)
    {
        MQTTAsync_destroy(&_handle);
        throw driver_error(_role + ": " + why);
    }

    MQTTAsync _handle = nullptr;
    int _version;
    std::string _role;
    waker* _waker;
    int _receive_maximum = 0;
    outcome _answer;
};

std::string client_id(std::uint32_t run_id, char role, int index)
{
    char id[48];
    std::snprintf(id, sizeof id, "plexus-bench-%08x-%c%d", run_id, role, index);
    return id;
}

class mqtt_publisher final
  : public publisher
  , private events
{
  public:
    mqtt_publisher(const options& o, const std::string& topic, std::uint32_t run_id, int index, waker& w)
      : _topic(topic)
      , _qos(o.qos)
      , _window(o.confirm_window > 0 ? o.confirm_window : default_window)
      , _conn(o, client_id(run_id, 'p', index), "publisher " + std::to_string(index), *this, _window, &w)
    {
        // A v5 broker may take fewer unacknowledged publishes than the window.
        if (_qos > 0 && _conn.receive_maximum() > 0) {
            _window = std::min<std::uint32_t>(_window, std::uint32_t(_conn.receive_maximum()));
        }
    }

    /// QoS 1/2: waits while `window` publishes are unacknowledged. QoS 0: while that many are
    /// not yet written to the socket, so that a broker slower than the client pushes back
    /// instead of Paho's command queue growing without bound.
    void publish(std::span<const std::byte> body) override
    {
        {
            std::unique_lock lock(_mutex);
            bool room = _room.wait_for(
              lock, std::chrono::seconds(60), [&] { return _published - _completed < _window || !_lost.empty(); });
            if (!_lost.empty()) {
                throw driver_error(_conn.role() + ": connection lost: " + _lost);
            }
            if (!room) {
                throw driver_error(_conn.role() + ": nothing acknowledged for 60 s with the window full");
            }
            ++_published;
        }
        MQTTAsync_responseOptions r = MQTTAsync_responseOptions_initializer;
        r.context = this;
        if (_conn.version() == 5) {
            r.onSuccess5 = [](void* self, MQTTAsync_successData5* d) {
                bool refused = d != nullptr && d->reasonCode >= MQTTREASONCODE_UNSPECIFIED_ERROR;
                static_cast<mqtt_publisher*>(self)->settle(refused);
            };
            r.onFailure5 = [](void* self, MQTTAsync_failureData5*) {
                static_cast<mqtt_publisher*>(self)->settle(true);
            };
        } else {
            r.onSuccess = [](void* self, MQTTAsync_successData*) { static_cast<mqtt_publisher*>(self)->settle(false); };
            r.onFailure = [](void* self, MQTTAsync_failureData*) { static_cast<mqtt_publisher*>(self)->settle(true); };
        }
        int rc = MQTTAsync_send(_conn.get(), _topic.c_str(), int(body.size()), body.data(), _qos, 0, &r);
        if (rc != MQTTASYNC_SUCCESS) {
            std::lock_guard lock(_mutex);
            throw driver_error(_conn.role() + ": publish: " + describe(rc, _conn.version()) +
                               (_lost.empty() ? "" : " (connection lost: " + _lost + ")"));
        }
    }

    bool wait_confirms(std::chrono::steady_clock::time_point deadline) override
    {
        std::unique_lock lock(_mutex);
        _room.wait_until(lock, deadline, [&] { return _completed >= _published || !_lost.empty(); });
        return _completed >= _published;
    }

    publisher_counts counts() const override
    {
        std::lock_guard lock(_mutex);
        if (_qos == 0) {
            return { 0, _refused }; // written is not confirmed
        }
        return { _completed - _refused, _refused };
    }

  private:
    void settle(bool refused) noexcept
    {
        {
            std::lock_guard lock(_mutex);
            ++_completed;
            if (refused) {
                ++_refused;
            }
        }
        _room.notify_all();
    }
    void on_message(std::span<const std::byte>, bool) noexcept override {}
    void on_lost(const char* cause) noexcept override
    {
        {
            std::lock_guard lock(_mutex);
            _lost = cause != nullptr ? cause : "no cause given";
        }
        _room.notify_all();
    }

    std::string _topic;
    int _qos;
    std::uint32_t _window;
    mutable std::mutex _mutex;
    std::condition_variable _room;
    std::uint64_t _published = 0; // handed to Paho
    std::uint64_t _completed = 0; // written (QoS 0) or acknowledged (QoS 1/2), or failed
    std::uint64_t _refused = 0;
    std::string _lost;
    connection _conn; // last: its callbacks stop before the state above goes
};

class mqtt_subscriber final
  : public subscriber
  , private events
{
  public:
    mqtt_subscriber(const options& o, const std::string& filter, std::uint32_t run_id, int index, waker& w)
      : _conn(o, client_id(run_id, 'c', index), "consumer " + std::to_string(index), *this, 0, &w)
    {
        _conn.subscribe(filter, o.qos);
    }

    std::size_t poll(std::chrono::milliseconds timeout, delivery_sink& sink) override
    {
        {
            std::unique_lock lock(_mutex);
            _arrived.wait_for(lock, timeout, [&] { return !_queued.empty() || !_lost.empty(); });
            if (_queued.empty()) {
                if (!_lost.empty()) {
                    throw driver_error(_conn.role() + ": connection lost: " + _lost);
                }
                return 0;
            }
            std::swap(_queued, _taking);
            std::swap(_queued_bytes, _taking_bytes);
        }
        for (const auto& m : _taking) {
            sink.on_delivery(std::span<const std::byte>(_taking_bytes.data() + m.offset, m.size), m.dup);
        }
        auto n = _taking.size();
        _taking.clear();
        _taking_bytes.clear();
        return n;
    }

  private:
    struct queued
    {
        std::size_t offset;
        std::size_t size;
        bool dup;
    };

    void on_message(std::span<const std::byte> body, bool dup) noexcept override
    {
        bool was_empty;
        {
            std::lock_guard lock(_mutex);
            was_empty = _queued.empty();
            _queued.push_back({ _queued_bytes.size(), body.size(), dup });
            _queued_bytes.insert(_queued_bytes.end(), body.begin(), body.end());
        }
        if (was_empty) {
            _arrived.notify_one(); // the consumer waits only while the queue is empty
        }
    }
    void on_lost(const char* cause) noexcept override
    {
        {
            std::lock_guard lock(_mutex);
            _lost = cause != nullptr ? cause : "no cause given";
        }
        _arrived.notify_one();
    }

    std::mutex _mutex;
    std::condition_variable _arrived;
    // Bodies arrive on Paho's thread into one buffer; poll() swaps it with the one it hands
    // out, so both keep their capacity and a delivery costs one copy.
    std::vector<queued> _queued;
    std::vector<std::byte> _queued_bytes;
    std::vector<queued> _taking;
    std::vector<std::byte> _taking_bytes;
    std::string _lost;
    connection _conn; // last: its callbacks stop before the state above goes
};

/// The driver's own connection, subscribed to a topic of its own: a QoS 0 message to it comes
/// straight back, and its arrival wakes Paho's reading thread (see waker). Wakes at most every
/// few milliseconds however many connections are waiting.
class nudger final
  : public waker
  , private events
{
  public:
    nudger(const options& o, const std::string& topic, std::uint32_t run_id)
      : _topic(topic)
      , _conn(o, client_id(run_id, 'n', 0), "setup", *this, default_window)
    {
        _conn.subscribe(_topic, 0);
    }

    void wake() noexcept override
    {
        auto now = std::chrono::steady_clock::now().time_since_epoch().count();
        auto last = _last.load(std::memory_order_relaxed);
        if (now - last < std::chrono::nanoseconds(std::chrono::milliseconds(2)).count() ||
            !_last.compare_exchange_strong(last, now)) {
            return; // another thread just woke it
        }
        static constexpr char byte = 0;
        MQTTAsync_send(_conn.get(), _topic.c_str(), 1, &byte, 0, 0, nullptr);
    }

  private:
    void on_message(std::span<const std::byte>, bool) noexcept override {}
    void on_lost(const char*) noexcept override {}

    std::string _topic;
    std::atomic<std::int64_t> _last{ 0 };
    connection _conn; // last: its callbacks stop before the state above goes
};

class mqtt_driver final : public driver
{
  public:
    explicit mqtt_driver(const options& o)
      : _o(o)
    {
        if (_o.port == 0) {
            _o.port = 1883;
        }
        if (_o.manual_ack || _o.persistent || _o.prefetch > 0 || !_o.queue_type.empty()) {
            throw driver_error("mqtt: --manual-ack, --persistent, --prefetch and --queue-type are AMQP options");
        }
    }

    std::string_view protocol() const noexcept override { return "mqtt"; }

    void prepare(std::uint32_t run_id) override
    {
        // Subscriptions are the topology: each subscriber makes its own in open_subscriber(),
        // before the runner opens any publisher.
        _run_id = run_id;
        char topic[48];
        std::snprintf(topic, sizeof topic, "plexus-bench/%08x", run_id);
        _topic = topic;
        _nudger = std::make_unique<nudger>(_o, _topic + "/wake", run_id);
    }

    std::unique_ptr<publisher> open_publisher(int index) override
    {
        return std::make_unique<mqtt_publisher>(_o, _topic, _run_id, index, *_nudger);
    }

    std::unique_ptr<subscriber> open_subscriber(int index, int destination) override
    {
        // One subscriber per destination reads the topic itself; more than one share it.
        std::string filter = _topic;
        if (_o.consumer_count() > _o.destinations()) {
            char group[48];
            std::snprintf(group, sizeof group, "$share/plexus-bench-%08x-d%d/", _run_id, destination);
            filter = group + _topic;
        }
        return std::make_unique<mqtt_subscriber>(_o, filter, _run_id, index, *_nudger);
    }

    void clean_up() noexcept override { _nudger.reset(); } // clean sessions leave nothing behind

  private:
    options _o;
    std::uint32_t _run_id = 0;
    std::string _topic;
    std::unique_ptr<nudger> _nudger;
};

} // namespace

std::unique_ptr<driver> make_mqtt_driver(const options& o)
{
    return std::make_unique<mqtt_driver>(o);
}

} // namespace plexus::bench
