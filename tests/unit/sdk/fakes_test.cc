// sdk/testing's fakes as a plugin author uses them: a gateway session (the line protocol of the
// network tests) against fake_kernel and fake_connection, with no broker and no socket.
#include "plexus/sdk/plugin.h"
#include "plexus/sdk/testing/fake_connection.h"
#include "plexus/sdk/testing/fake_kernel.h"

#include <catch2/catch.hpp>

extern "C" const plexus_plugin_descriptor* plexus_plugin_entry_v1(void);

using namespace plexus::sdk;
using namespace plexus::sdk::testing;

namespace {

queue_spec queue_named(std::string name)
{
    queue_spec spec;
    spec.name = std::move(name);
    return spec;
}

struct session_fixture
{
    fake_executor exec;
    fake_kernel kernel{ exec };
    fake_connection conn{ exec };
    std::unique_ptr<protocol_factory> factory{ static_cast<protocol_factory*>(
      plexus_plugin_entry_v1()->create_factory()) };
    std::unique_ptr<protocol_listener> listener{ std::move(*factory->create(listener_context{}, "{}")) };
    std::unique_ptr<protocol_session> session{ listener->new_session(conn, kernel) };

    status feed(const std::string& text)
    {
        buffer_chain in = buffer_chain::copy_of(text);
        auto st = session->on_data(in);
        exec.run_all();
        return st;
    }
};

struct recording_sink final : delivery_sink
{
    std::vector<delivery> got;
    std::optional<status> cancelled_with;
    void deliver(std::vector<delivery> batch) noexcept override
    {
        for (auto& d : batch) {
            got.push_back(std::move(d));
        }
    }
    void cancelled(const status& why) noexcept override { cancelled_with = why; }
};

message_ptr to(const std::string& queue, const std::string& body)
{
    auto m = std::make_shared<message>();
    m->routing_key = queue;
    m->body = buffer_chain::copy_of(body);
    return m;
}

} // namespace

TEST_CASE_METHOD(session_fixture, "a session publishes and gets through fake_kernel", "[unit][sdk][fakes]")
{
    kernel.declare_queue(queue_named("jobs"), nullptr);
    REQUIRE(feed("PUB jobs hello\nGET jobs\nGET jobs\n").ok());
    CHECK(conn.take_written() == "OK 1\nMSG hello\nEMPTY\n");
    CHECK(kernel.published().size() == 1);
    CHECK(kernel.calls() == std::vector<std::string>{ "declare_queue", "publish", "get", "get" });
}

TEST_CASE_METHOD(session_fixture, "callbacks run on the executor, never inside the call", "[unit][sdk][fakes]")
{
    buffer_chain in = buffer_chain::copy_of("PUB nowhere x\n");
    REQUIRE(session->on_data(in).ok());
    CHECK(conn.written().empty()); // the confirm has not run yet
    exec.run_all();
    CHECK(conn.take_written() == "OK 0\n");
}

TEST_CASE_METHOD(session_fixture, "scripted failures and protocol errors", "[unit][sdk][fakes]")
{
    kernel.fail_next("publish", status(errc::resource_exhausted, "disk full"));
    REQUIRE(feed("PUB jobs x\n").ok());
    CHECK(conn.take_written() == "ERR resource_exhausted: disk full\n");
    auto st = feed("BAD\n");
    CHECK(st.code() == errc::protocol_error);
    CHECK(conn.take_written() == "ERR bad command\n");
}

TEST_CASE("fake_kernel delivers to subscribers within their prefetch", "[unit][sdk][fakes]")
{
    fake_executor exec;
    fake_kernel k(exec);
    k.declare_queue(queue_named("q"), nullptr);
    recording_sink sink;
    std::unique_ptr<subscription> sub;
    subscribe_request req;
    req.queue = "q";
    req.prefetch = 2;
    k.subscribe(req, sink, [&](result<std::unique_ptr<subscription>> r) {
        REQUIRE(r.ok());
        sub = std::move(*r);
    });
    for (int i = 0; i < 3; ++i) {
        k.publish(publish_request{ "/", to("q", std::to_string(i)) }, nullptr);
    }
    exec.run_all();
    REQUIRE(sub);
    REQUIRE(sink.got.size() == 2);
    CHECK(k.depth("q") == 1);
    sub->ack(sink.got[0].tag, false);
    exec.run_all();
    CHECK(sink.got.size() == 3);
    CHECK(sink.got[2].msg->body.to_string() == "2");
    CHECK(k.settles().size() == 1);

    std::optional<status> missing;
    subscribe_request none;
    none.queue = "none";
    k.subscribe(none, sink, [&](result<std::unique_ptr<subscription>> r) { missing = r.error(); });
    exec.run_all();
    REQUIRE(missing);
    CHECK(missing->code() == errc::not_found);
}

TEST_CASE("fake_connection records writes, closes once, and reports watermarks", "[unit][sdk][fakes]")
{
    fake_executor exec;
    fake_connection c(exec, 7);
    c.write(buffer_chain::copy_of("a"));
    c.write(buffer_chain::copy_of("b"));
    CHECK(c.written() == "ab");
    CHECK(c.id() == 7);
    CHECK(c.peer().loopback);
    CHECK_FALSE(c.above_high_watermark());
    c.set_above_high_watermark(true);
    CHECK(c.above_high_watermark());
    c.close(status(errc::protocol_error, "first"), false);
    c.close(status(errc::internal, "second"));
    REQUIRE(c.closed());
    CHECK(c.closed()->code() == errc::protocol_error);
    CHECK_FALSE(c.flushed_on_close());
    c.write(buffer_chain::copy_of("after"));
    CHECK(c.written() == "ab");
}
