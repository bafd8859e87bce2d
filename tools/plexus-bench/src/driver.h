// The seam between the protocol-neutral runner and one protocol's client library. A driver
// opens publishers and subscribers, each a connection of its own used by exactly one runner
// thread (client libraries such as rabbitmq-c are not thread-safe per connection), and
// declares what a run needs beforehand. The runner owns threads, pacing, payloads, latency and
// the lost/duplicated/corrupted accounting, so a driver only moves bytes.
//
// Adding a protocol: a <protocol>_driver.{h,cc} pair implementing these three classes, and a
// line in drivers.cc (under the CMake check for its client library).
#pragma once

#include "options.h"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace plexus::bench {

/// Thrown by drivers for anything that ends the run: a refused connection, a protocol error,
/// a broker that closed the channel. The text names what failed and the broker's reason.
struct driver_error : std::runtime_error
{
    using std::runtime_error::runtime_error;
};

struct publisher_counts
{
    std::uint64_t confirmed = 0; // positively confirmed (confirms on)
    std::uint64_t refused = 0;   // nacked, returned or otherwise refused by the broker
};

/// One publishing connection.
class publisher
{
  public:
    virtual ~publisher() = default;
    /// Sends one message. With confirms, blocks while the window of unconfirmed messages is
    /// full. The body is only valid during the call.
    virtual void publish(std::span<const std::byte> body) = 0;
    /// Waits until every message published so far is confirmed (returns at once without
    /// confirms). False when `deadline` passed first.
    virtual bool wait_confirms(std::chrono::steady_clock::time_point deadline) = 0;
    virtual publisher_counts counts() const = 0;
};

/// Where a subscriber hands each delivery.
class delivery_sink
{
  public:
    virtual void on_delivery(std::span<const std::byte> body, bool redelivered) = 0;

  protected:
    ~delivery_sink() = default;
};

/// One consuming connection reading one destination.
class subscriber
{
  public:
    virtual ~subscriber() = default;
    /// Waits up to `timeout` for deliveries and passes each one to `sink` (the body is valid
    /// only during the call); acknowledges as the options say. Returns the number delivered.
    virtual std::size_t poll(std::chrono::milliseconds timeout, delivery_sink& sink) = 0;
};

class driver
{
  public:
    virtual ~driver() = default;
    virtual std::string_view protocol() const noexcept = 0;
    /// Declares what the run needs (queues, exchanges, bindings: options::destinations() of
    /// them), with names unique to `run_id`.
    virtual void prepare(std::uint32_t run_id) = 0;
    /// open_publisher() and open_subscriber() may run on several threads at once (the runner
    /// opens connections in parallel); prepare() has returned before the first.
    virtual std::unique_ptr<publisher> open_publisher(int index) = 0;
    /// A subscriber of destination `destination` (0 .. destinations()-1), consuming once
    /// this returns.
    virtual std::unique_ptr<subscriber> open_subscriber(int index, int destination) = 0;
    /// Deletes what prepare() declared. Never throws: a run's result stands without it.
    virtual void clean_up() noexcept = 0;
};

/// The driver `o.driver` names, or driver_error listing the ones this build has.
std::unique_ptr<driver> make_driver(const options& o);
std::vector<std::string> driver_names();

} // namespace plexus::bench
