// An AMQP client played by a unit test against a real session on the SDK fakes: the test
// writes frames in, runs the fake shard, and reads back what the session sent, decoded.
// It also plays the kernel's part in closing: when on_data fails or the session closes the
// connection, on_close() follows and the session is destroyed, as the kernel would do.
#pragma once

#include "methods.h"
#include "properties.h"
#include "session.h"
#include "plexus/sdk/testing/fake_connection.h"
#include "plexus/sdk/testing/fake_kernel.h"

#include <catch2/catch.hpp>

#include <deque>
#include <memory>
#include <optional>
#include <string>

namespace plexus::tests::amqp091 {

namespace amqp = plexus::protocol::amqp091;

/// One frame the session sent.
struct sent_frame
{
    amqp::frame_type type;
    std::uint16_t channel;
    std::optional<amqp::method> method;         // method frames
    std::optional<amqp::content_header> header; // header frames
    std::string body;                           // body frames
};

class session_harness
{
  public:
    explicit session_harness(amqp::gateway_config config = {}, std::string peer = "127.0.0.1:40000");
    ~session_harness();

    plexus::sdk::testing::fake_executor exec;
    plexus::sdk::testing::fake_kernel kernel{ exec };
    plexus::sdk::testing::fake_connection conn;

    /// Bytes from the client; runs the shard afterwards.
    void feed(const std::string& bytes);
    void send(std::uint16_t channel, const amqp::method& m);
    void send_content(std::uint16_t channel,
                      const amqp::method& m,
                      const amqp::basic_properties& p,
                      const std::string& body);
    /// Runs everything posted to the shard (kernel answers, flushes, deliveries).
    void run();

    /// Header, start-ok (PLAIN guest/guest), tune-ok, open; the replies are consumed.
    void open_connection(std::uint16_t heartbeat = 0, std::string vhost = "/", bool blocked_capability = true);
    void open_channel(std::uint16_t channel);
    /// queue.declare of `name` on `channel`; the declare-ok is consumed.
    void declare_queue(std::uint16_t channel, std::string name);

    /// Everything sent since the last call, decoded.
    std::deque<sent_frame> take_frames();
    /// The next method the session sent (after draining take_frames into a backlog).
    std::optional<sent_frame> next();
    /// Forgets everything sent so far.
    void discard()
    {
        take_frames();
        _backlog.clear();
    }
    /// Raw bytes sent since the last call.
    std::string take_bytes() { return conn.take_written(); }

    bool closed() const noexcept { return _session == nullptr; }
    const std::optional<plexus::sdk::status>& close_reason() const noexcept { return _closed_with; }
    amqp::session* session() noexcept { return _session.get(); }

  private:
    void settle_close();

    amqp::gateway_config _config;
    std::unique_ptr<amqp::session> _session;
    plexus::sdk::buffer_chain _in;
    std::string _out_tail;
    std::deque<sent_frame> _backlog;
    std::optional<plexus::sdk::status> _closed_with;
};

/// A basic.publish to `queue` through the default exchange.
amqp::basic_publish to_queue(std::string queue, bool mandatory = false);

/// The method of `f` as T; fails the test when it is something else.
template<class T>
T as(const std::optional<sent_frame>& f)
{
    if (!f) {
        FAIL("expected " << std::string(T::name) << ", the session sent nothing");
    }
    if (!f->method || !std::holds_alternative<T>(*f->method)) {
        FAIL("expected " << std::string(T::name) << ", got "
                         << (f->method ? std::string(amqp::name_of(*f->method)) : std::string("a content frame")));
    }
    return std::get<T>(*f->method);
}

} // namespace plexus::tests::amqp091
