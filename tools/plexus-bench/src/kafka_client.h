// The pieces of librdkafka the Kafka driver uses, owned: a client instance built from a list
// of settings (a bad setting is a driver_error naming it), the errors its callbacks report,
// and the admin calls that create and delete the run's topic.
#pragma once

#include "driver.h"

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace plexus::bench {

using kafka_settings = std::vector<std::pair<std::string, std::string>>;

/// The first error librdkafka reported that ends the run: a fatal error, every broker down,
/// a failed login. Written by librdkafka's error callback, which it serves on the thread
/// that polls the instance, so the owner's thread reads it without a lock.
class kafka_failure
{
  public:
    void note(rd_kafka_t* rk, int err, const char* reason) noexcept;
    /// Throws driver_error naming `who` when an error was noted.
    void check(const std::string& who) const;

  private:
    std::string _what;
};

/// One librdkafka instance (its threads and its connections); destroyed with it.
class kafka_client
{
  public:
    /// `dr_msg_cb` (producers only, may be null) is served by rd_kafka_poll() and
    /// rd_kafka_flush() on the polling thread, with `opaque` as its last argument.
    kafka_client(rd_kafka_type_t type,
                 const kafka_settings& settings,
                 void (*dr_msg_cb)(rd_kafka_t*, const rd_kafka_message_t*, void*),
                 void* opaque);
    ~kafka_client();
    kafka_client(const kafka_client&) = delete;
    kafka_client& operator=(const kafka_client&) = delete;

    rd_kafka_t* get() const noexcept { return _rk; }
    const kafka_failure& failure() const noexcept { return _failure; }

    /// Asks the broker for `topic`'s metadata: connects now rather than at the first produce
    /// or fetch, and checks that the topic has a partition 0.
    void await_topic(const std::string& topic, const std::string& who, std::chrono::milliseconds timeout);

  private:
    struct callbacks;
    kafka_failure _failure;
    void* _opaque;
    void (*_dr_msg_cb)(rd_kafka_t*, const rd_kafka_message_t*, void*);
    rd_kafka_t* _rk = nullptr;
};

/// Creates `topic` with one partition (replication factor 1); driver_error with the broker's
/// reason when it refuses.
void create_topic(kafka_client& admin, const std::string& topic, std::chrono::milliseconds timeout);

/// Deletes `topic`; false when the broker did not confirm it in time.
bool delete_topic(kafka_client& admin, const std::string& topic, std::chrono::milliseconds timeout) noexcept;

} // namespace plexus::bench
