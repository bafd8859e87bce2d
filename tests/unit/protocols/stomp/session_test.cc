// The session against the SDK fakes: frame order while the kernel is asked, cumulative and
// individual acks as kernel settles, transactions held until COMMIT, heart-beats on the
// manual clock, kernel refusals as ERROR frames.
#include "session.h"

#include "plexus/sdk/testing/fake_connection.h"
#include "plexus/sdk/testing/fake_kernel.h"

#include <catch2/catch.hpp>

using namespace plexus::protocol::stomp;
using namespace std::string_literals;
namespace sdk = plexus::sdk;
namespace fake = plexus::sdk::testing;

namespace {

struct harness
{
    fake::fake_executor exec;
    fake::fake_kernel kernel{ exec };
    fake::fake_connection conn{ exec };
    gateway_config config;
    std::unique_ptr<session> s;
    sdk::buffer_chain in;

    harness() { s = std::make_unique<session>(conn, kernel, config, kernel.log("protocol.stomp")); }

    /// Feeds bytes and runs every task they lead to.
    void feed(const std::string& bytes)
    {
        in.append(sdk::bytes::copy_of(bytes));
        auto st = s->on_data(in);
        exec.run_all();
        if (!st.ok()) {
            closed_by_data = st;
        }
    }
    void connect(const std::string& extra = "")
    {
        feed("CONNECT\naccept-version:1.2\nhost:/\nlogin:guest\npasscode:guest\n" + extra + "\n\0"s);
        REQUIRE(conn.take_written().starts_with("CONNECTED\n"));
    }
    bool closed() const { return conn.closed().has_value() || closed_by_data.has_value(); }

    std::optional<sdk::status> closed_by_data;
};

std::size_t count(const std::string& text, const std::string& what)
{
    std::size_t n = 0;
    for (auto p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) {
        ++n;
    }
    return n;
}

} // namespace

TEST_CASE("frames pipelined behind CONNECT wait for the vhost check and keep their order", "[stomp][session]")
{
    harness h;
    h.feed("CONNECT\naccept-version:1.1,1.2\nhost:/\n\n\0"s + "SEND\ndestination:/queue/a\nreceipt:r1\n\nx\0"s);
    const auto out = h.conn.take_written();
    const auto connected = out.find("CONNECTED\nversion:1.2\n");
    const auto receipt = out.find("RECEIPT\nreceipt-id:r1\n");
    REQUIRE(connected != std::string::npos);
    REQUIRE(receipt != std::string::npos);
    CHECK(connected < receipt);
    REQUIRE(h.kernel.published().size() == 1);
    const auto& msg = *h.kernel.published()[0].msg;
    CHECK(msg.exchange.empty());
    CHECK(msg.routing_key == "a");
    CHECK(h.kernel.published()[0].level == sdk::ack_level::stored); // a receipt waits until stored
    // The queue was declared before the publish, once.
    const auto& calls = h.kernel.calls();
    CHECK(std::count(calls.begin(), calls.end(), "declare_queue") == 1);
    h.feed("SEND\ndestination:/queue/a\n\ny\0"s);
    CHECK(std::count(h.kernel.calls().begin(), h.kernel.calls().end(), "declare_queue") == 1);
    CHECK(h.kernel.published().size() == 2);
    CHECK(h.kernel.published()[1].level == sdk::ack_level::none);
}

TEST_CASE("client mode acks cumulatively, client-individual one message", "[stomp][session]")
{
    for (auto [mode, multiple] : { std::pair{ "client", true }, std::pair{ "client-individual", false } }) {
        harness h;
        h.connect();
        h.feed("SUBSCRIBE\nid:s\ndestination:/queue/q\nack:"s + mode + "\nreceipt:sub\n\n\0"s);
        REQUIRE(h.conn.take_written().find("RECEIPT\nreceipt-id:sub") != std::string::npos);
        h.feed("SEND\ndestination:/queue/q\n\n1\0SEND\ndestination:/queue/q\n\n2\0SEND\ndestination:/queue/q\n\n3\0"s);
        const auto out = h.conn.take_written();
        REQUIRE(count(out, "MESSAGE\n") == 3);
        CHECK(out.find("ack:T_s@@session-1@@2\n") != std::string::npos);
        h.feed("ACK\nid:T_s@@session-1@@2\n\n\0"s);
        REQUIRE(h.kernel.settles().size() == 1);
        CHECK(h.kernel.settles()[0].tag == 2);
        CHECK(h.kernel.settles()[0].multiple == multiple);
        CHECK(h.kernel.settles()[0].ack);
        // Acking what a cumulative ack already covered changes nothing.
        h.feed("ACK\nid:T_s@@session-1@@1\n\n\0"s);
        CHECK(h.kernel.settles().size() == (multiple ? 1u : 2u));
        h.feed("NACK\nid:T_s@@session-1@@3\nrequeue:false\n\n\0"s);
        CHECK_FALSE(h.kernel.settles().back().ack);
        CHECK_FALSE(h.kernel.settles().back().requeue);
        CHECK_FALSE(h.closed());
    }
}

TEST_CASE("a transaction's SENDs and ACKs reach the kernel at COMMIT, never after ABORT", "[stomp][session]")
{
    harness h;
    h.connect();
    h.feed("BEGIN\ntransaction:t\n\n\0SEND\ndestination:/topic/k\ntransaction:t\n\nx\0"s);
    CHECK(h.kernel.published().empty());
    h.feed("COMMIT\ntransaction:t\nreceipt:c\n\n\0"s);
    REQUIRE(h.kernel.published().size() == 1);
    CHECK(h.kernel.published()[0].msg->exchange == "amq.topic");
    CHECK(h.kernel.published()[0].msg->routing_key == "k");
    CHECK(h.conn.take_written().find("RECEIPT\nreceipt-id:c\n") != std::string::npos);
    h.feed("BEGIN\ntransaction:u\n\n\0SEND\ndestination:/topic/k\ntransaction:u\n\nx\0ABORT\ntransaction:u\n\n\0"s);
    CHECK(h.kernel.published().size() == 1);
    // The transaction is gone after ABORT: committing it is an error.
    h.feed("COMMIT\ntransaction:u\n\n\0"s);
    CHECK(h.conn.take_written().find("ERROR\nmessage:Bad transaction\n") != std::string::npos);
    CHECK(h.closed());
}

TEST_CASE("the server beats at the client's interval, and closes a silent client", "[stomp][session]")
{
    harness h;
    h.connect("heart-beat:1000,500\n");
    // CONNECTED went out in the first interval; the first beat is due at the second.
    h.exec.advance(std::chrono::milliseconds(520));
    CHECK(h.conn.take_written().empty());
    h.exec.advance(std::chrono::milliseconds(500));
    CHECK(h.conn.take_written() == "\n");
    h.feed("\n"); // the client's beat
    h.exec.advance(std::chrono::milliseconds(1000));
    CHECK_FALSE(h.closed());
    h.exec.advance(std::chrono::milliseconds(2100));
    CHECK(h.conn.closed().has_value());
    CHECK(h.conn.closed()->code() == sdk::errc::timed_out);
}

TEST_CASE("a kernel refusal is an ERROR naming it, then the close", "[stomp][session]")
{
    harness h;
    h.connect();
    h.kernel.fail_next("declare_queue", sdk::status(sdk::errc::precondition_failed, "inequivalent arg 'durable'"));
    h.feed("SUBSCRIBE\nid:s\ndestination:/queue/q\nreceipt:77\n\n\0"s);
    const auto out = h.conn.take_written();
    CHECK(out.starts_with("ERROR\nmessage:precondition_failed\nreceipt-id:77\n"));
    CHECK(out.find("inequivalent arg 'durable'") != std::string::npos);
    CHECK(h.closed());
}

TEST_CASE("a wrong passcode is refused before anything but the login is asked of the kernel", "[stomp][session]")
{
    harness h;
    h.feed("CONNECT\naccept-version:1.2\nlogin:guest\npasscode:nope\n\n\0"s);
    CHECK(h.conn.take_written().starts_with("ERROR\nmessage:Bad CONNECT\n"));
    CHECK(h.closed());
    CHECK(h.kernel.calls() == std::vector<std::string>{ "authenticate" });
}
