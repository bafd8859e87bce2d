// Channels against the SDK fakes: publishes assembled from frames, confirms, returns,
// consumers and their acks, basic.get, order of answers, backpressure, and channel errors
// that close only the channel.
#include "session_harness.h"

#include "frame.h"

#include <catch2/catch.hpp>

using namespace plexus::tests::amqp091;
using namespace plexus::protocol::amqp091;
using plexus::sdk::errc;

namespace {

std::string body_frame(std::uint16_t channel, const std::string& part)
{
    std::string out;
    auto at = begin_frame(out, frame_type::body, channel);
    out += part;
    end_frame(out, at);
    return out;
}

/// Expects a channel.close with `code` on `ch`, answers close-ok and reopens the channel.
void expect_channel_error(session_harness& h, std::uint16_t ch, std::uint16_t code, std::string_view text)
{
    auto f = h.next();
    const auto close = as<channel_close>(f);
    CHECK(f->channel == ch);
    CHECK(close.reply_code == code);
    CHECK(close.reply_text.find(text) != std::string::npos);
    h.send(ch, channel_close_ok{});
    h.open_channel(ch); // the connection is fine
}

std::uint16_t connection_error_code(session_harness& h)
{
    return as<connection_close>(h.next()).reply_code;
}

} // namespace

TEST_CASE("a publish in many frames, interleaved with another channel's, is one message", "[amqp091][channel]")
{
    session_harness h;
    h.open_connection();
    h.open_channel(1);
    h.open_channel(2);
    h.declare_queue(1, "q");
    basic_properties props;
    props.content_type = "text/plain";
    props.delivery_mode = 2;
    std::string bytes;
    append_method_frame(bytes, 1, to_queue("q"));
    append_header_frame(bytes, 1, 11, props);
    bytes += body_frame(1, "hello");
    append_method_frame(bytes, 2, to_queue("q")); // channel 2's publish, empty body
    append_header_frame(bytes, 2, 0, basic_properties{});
    bytes += body_frame(1, " wor");
    bytes += body_frame(1, "ld");
    // Cut the bytes at awkward places: frames never arrive whole.
    for (std::size_t at = 0; at < bytes.size(); at += 7) {
        h.feed(bytes.substr(at, 7));
    }
    REQUIRE(h.kernel.published().size() == 2);
    const auto& second = *h.kernel.published()[1].msg;
    CHECK(second.body.to_string() == "hello world");
    CHECK(second.properties.content_type == "text/plain");
    CHECK(second.properties.persistent);
    CHECK(h.kernel.published()[0].msg->body.empty());
    CHECK(h.kernel.depth("q") == 2);
    CHECK_FALSE(h.next()); // publishes are not answered
}

TEST_CASE("confirms: acks once the kernel stored, nacks when it failed, runs collapsed", "[amqp091][channel]")
{
    session_harness h;
    h.open_connection();
    h.open_channel(1);
    h.declare_queue(1, "q");
    h.send(1, confirm_select{});
    as<confirm_select_ok>(h.next());
    std::string bytes;
    for (int i = 0; i < 3; ++i) {
        basic_properties p;
        p.delivery_mode = static_cast<std::uint8_t>(i == 1 ? 2 : 1);
        append_method_frame(bytes, 1, to_queue("q"));
        append_header_frame(bytes, 1, 1, p);
        bytes += body_frame(1, "x");
    }
    h.feed(bytes);
    const auto ack = as<basic_ack>(h.next());
    CHECK(ack.delivery_tag == 3);
    CHECK(ack.multiple);
    REQUIRE(h.kernel.published().size() == 3);
    CHECK(h.kernel.published()[0].level == plexus::sdk::ack_level::stored);
    CHECK(h.kernel.published()[1].level == plexus::sdk::ack_level::durable); // delivery-mode 2
    h.kernel.fail_next("publish", plexus::sdk::status(errc::resource_exhausted, "disk alarm"));
    h.send_content(1, to_queue("q"), {}, "y");
    const auto nack = as<basic_nack>(h.next());
    CHECK(nack.delivery_tag == 4);
    CHECK_FALSE(nack.multiple);
}

TEST_CASE("a mandatory publish that routes nowhere comes back before its ack", "[amqp091][channel]")
{
    session_harness h;
    h.open_connection();
    h.open_channel(1);
    h.send(1, confirm_select{});
    h.next();
    basic_properties p;
    p.message_id = "m-1";
    h.send_content(1, to_queue("nowhere", true), p, "bounce");
    auto ret = h.next();
    const auto r = as<basic_return>(ret);
    CHECK(r.reply_code == 312);
    CHECK(r.reply_text == "NO_ROUTE");
    CHECK(r.routing_key == "nowhere");
    auto header = h.next();
    REQUIRE(header->header);
    CHECK(header->header->properties.message_id == "m-1");
    CHECK(h.next()->body == "bounce");
    CHECK(as<basic_ack>(h.next()).delivery_tag == 1);
}

TEST_CASE("content framing errors are unexpected-frame", "[amqp091][channel][malformed]")
{
    session_harness h;
    h.open_connection();
    h.open_channel(1);
    std::string bytes;
    append_method_frame(bytes, 1, to_queue("q"));
    SECTION("a method where the content header belongs")
    {
        append_method_frame(bytes, 1, basic_qos{});
    }
    SECTION("a method between body frames")
    {
        append_header_frame(bytes, 1, 10, basic_properties{});
        bytes += body_frame(1, "12345");
        append_method_frame(bytes, 1, basic_qos{});
    }
    SECTION("more body than the header announced")
    {
        append_header_frame(bytes, 1, 3, basic_properties{});
        bytes += body_frame(1, "12345");
    }
    SECTION("a body frame without a header")
    {
        bytes += body_frame(1, "12345");
    }
    h.feed(bytes);
    CHECK(connection_error_code(h) == 505);
    CHECK(h.kernel.published().empty());
}

TEST_CASE("consumers get consume-ok first, then deliveries with channel-wide tags", "[amqp091][channel]")
{
    session_harness h;
    h.open_connection();
    h.open_channel(1);
    h.declare_queue(1, "q");
    h.send_content(1, to_queue("q"), {}, "one");
    h.send_content(1, to_queue("q"), {}, "two");
    basic_consume c;
    c.queue = "q";
    h.send(1, c);
    const auto ok = as<basic_consume_ok>(h.next());
    CHECK(ok.consumer_tag.starts_with("amq.ctag-"));
    for (std::uint64_t tag = 1; tag <= 2; ++tag) {
        const auto d = as<basic_deliver>(h.next());
        CHECK(d.delivery_tag == tag);
        CHECK(d.consumer_tag == ok.consumer_tag);
        CHECK(d.routing_key == "q");
        CHECK_FALSE(d.redelivered);
        CHECK(h.next()->header);
        CHECK(h.next()->body == (tag == 1 ? "one" : "two"));
    }
    h.send(1, basic_ack{ 2, true });
    REQUIRE(h.kernel.settles().size() == 1);
    CHECK(h.kernel.settles()[0].tag == 2);
    CHECK(h.kernel.settles()[0].multiple);
    CHECK(h.kernel.settles()[0].ack);
    SECTION("a tag acked twice is unknown: 406 on that channel only")
    {
        h.send(1, basic_ack{ 2, false });
        expect_channel_error(h, 1, 406, "unknown delivery tag 2");
    }
    SECTION("a consumer tag may not be used twice on a channel")
    {
        basic_consume again;
        again.queue = "q";
        again.consumer_tag = ok.consumer_tag;
        h.send(1, again);
        CHECK(connection_error_code(h) == 530);
    }
}

TEST_CASE("basic.get: get-ok with the remaining count, get-empty, and its acks", "[amqp091][channel]")
{
    session_harness h;
    h.open_connection();
    h.open_channel(1);
    h.declare_queue(1, "q");
    h.send_content(1, to_queue("q"), {}, "a");
    h.send_content(1, to_queue("q"), {}, "b");
    basic_get g;
    g.queue = "q";
    h.send(1, g);
    const auto ok = as<basic_get_ok>(h.next());
    CHECK(ok.delivery_tag == 1);
    CHECK(ok.message_count == 1);
    h.next();
    CHECK(h.next()->body == "a");
    h.send(1, basic_reject{ 1, true });
    CHECK(h.kernel.calls().back() == "settle");
    CHECK(h.kernel.settles().back().requeue);
    h.send(1, g);
    as<basic_get_ok>(h.next());
    h.next();
    h.next();
    h.send(1, g);
    as<basic_get_empty>(h.next());
}

TEST_CASE("a channel's requests are answered in the order they were sent", "[amqp091][channel]")
{
    session_harness h;
    h.open_connection();
    h.open_channel(1);
    std::string bytes;
    queue_declare d;
    d.queue = "late";
    append_method_frame(bytes, 1, d);
    append_method_frame(bytes, 1, to_queue("late"));
    append_header_frame(bytes, 1, 1, basic_properties{});
    bytes += body_frame(1, "x");
    basic_get g;
    g.queue = ""; // the last declared queue
    append_method_frame(bytes, 1, g);
    h.feed(bytes);
    CHECK(as<queue_declare_ok>(h.next()).queue == "late");
    CHECK(as<basic_get_ok>(h.next()).message_count == 0);
}

TEST_CASE("deliveries pause above the high watermark and for channel.flow", "[amqp091][channel]")
{
    session_harness h;
    h.open_connection();
    h.open_channel(1);
    h.declare_queue(1, "q");
    basic_consume c;
    c.queue = "q";
    c.no_ack = true;
    h.send(1, c);
    as<basic_consume_ok>(h.next());
    h.conn.set_above_high_watermark(true);
    h.send_content(1, to_queue("q"), {}, "1"); // delivered, and now the socket is "full"
    CHECK(as<basic_deliver>(h.next()).delivery_tag == 1);
    h.discard();
    h.send_content(1, to_queue("q"), {}, "2");
    CHECK_FALSE(h.next());
    h.conn.set_above_high_watermark(false);
    h.session()->on_writable();
    h.send_content(1, to_queue("q"), {}, "3");
    CHECK(as<basic_deliver>(h.next()).delivery_tag == 2);
    h.discard();
    h.send(1, channel_flow{ false });
    as<channel_flow_ok>(h.next());
    h.send_content(1, to_queue("q"), {}, "4");
    CHECK_FALSE(h.next());
}

TEST_CASE("basic.qos global shares one window among the channel's consumers", "[amqp091][channel]")
{
    session_harness h;
    h.open_connection();
    h.open_channel(1);
    for (const char* q : { "qa", "qb" }) {
        h.declare_queue(1, q);
        for (int i = 0; i < 3; ++i) {
            h.send_content(1, to_queue(q), {}, std::string(q) + std::to_string(i));
        }
    }
    basic_qos qos;
    qos.prefetch_count = 2;
    qos.global = true;
    h.send(1, qos);
    as<basic_qos_ok>(h.next());
    // Each subscription may be sent up to the window, so the kernel hands over more than the
    // channel may show the client: the rest is held.
    std::vector<std::string> tags;
    for (const char* q : { "qa", "qb" }) {
        basic_consume c;
        c.queue = q;
        h.send(1, c);
    }
    std::vector<basic_deliver> delivered;
    auto collect = [&] {
        for (auto& f : h.take_frames()) {
            if (f.method && std::holds_alternative<basic_deliver>(*f.method)) {
                delivered.push_back(std::get<basic_deliver>(*f.method));
            }
        }
    };
    collect();
    REQUIRE(delivered.size() == 2);
    h.send(1, basic_ack{ delivered[0].delivery_tag, false });
    collect();
    REQUIRE(delivered.size() == 3);
    CHECK(delivered[2].delivery_tag == 3); // channel-wide tags go on in order
    SECTION("acking everything outstanding refills the window")
    {
        h.send(1, basic_ack{ 0, true });
        collect();
        CHECK(delivered.size() == 5);
    }
    SECTION("qos global 0 lifts the limit")
    {
        qos.prefetch_count = 0;
        h.send(1, qos);
        collect();
        CHECK(delivered.size() >= 4);
    }
    SECTION("a cancelled consumer's held deliveries go back to its queue")
    {
        const auto before = h.kernel.settles().size();
        for (const auto& d : delivered) {
            basic_cancel cancel;
            cancel.consumer_tag = d.consumer_tag;
            h.send(1, cancel);
        }
        h.run();
        bool requeued = false;
        for (auto i = before; i < h.kernel.settles().size(); ++i) {
            requeued = requeued || (h.kernel.settles()[i].requeue && !h.kernel.settles()[i].ack);
        }
        CHECK(requeued);
    }
}

TEST_CASE("RabbitMQ's channel errors, each closing only its channel", "[amqp091][channel]")
{
    session_harness h;
    h.open_connection();
    h.open_channel(1);
    SECTION("declaring the default exchange")
    {
        h.send(1, exchange_declare{});
        expect_channel_error(h, 1, 403, "default exchange");
    }
    SECTION("a new exchange named amq.*")
    {
        exchange_declare d;
        d.exchange = "amq.mine";
        h.kernel.fail_next("declare_exchange", plexus::sdk::status(errc::not_found, "no exchange 'amq.mine'"));
        h.send(1, d);
        expect_channel_error(h, 1, 403, "reserved prefix 'amq.*'");
    }
    SECTION("a queue named amq.*")
    {
        queue_declare d;
        d.queue = "amq.mine";
        h.send(1, d);
        expect_channel_error(h, 1, 403, "reserved prefix");
    }
    SECTION("an unknown x-queue-type")
    {
        queue_declare d;
        d.queue = "q";
        d.arguments = { { "x-queue-type", field_value::string("fancy") } };
        h.send(1, d);
        expect_channel_error(h, 1, 406, "x-queue-type");
    }
    SECTION("the kernel's errors, mapped")
    {
        queue_declare d;
        d.queue = "q";
        h.kernel.fail_next("declare_queue", plexus::sdk::status(errc::locked, "cannot obtain exclusive access"));
        h.send(1, d);
        expect_channel_error(h, 1, 405, "RESOURCE_LOCKED - cannot obtain exclusive access");
        h.kernel.fail_next("declare_queue", plexus::sdk::status(errc::precondition_failed, "inequivalent arg"));
        h.send(1, d);
        expect_channel_error(h, 1, 406, "PRECONDITION_FAILED - inequivalent arg");
        h.kernel.fail_next("bind", plexus::sdk::status(errc::not_found, "no exchange 'nope' in vhost '/'"));
        queue_bind b;
        b.queue = "q";
        b.exchange = "nope";
        h.send(1, b);
        expect_channel_error(h, 1, 404, "NOT_FOUND - no exchange 'nope'");
    }
    SECTION("a user-id that is not the connection's")
    {
        basic_properties p;
        p.user_id = "mallory";
        h.send_content(1, to_queue("q"), p, "x");
        expect_channel_error(h, 1, 406, "authenticated user was 'guest'");
    }
    SECTION("a queue name defaulted before any was declared")
    {
        h.send(1, queue_purge{});
        expect_channel_error(h, 1, 404, "no previously declared queue");
    }
    CHECK_FALSE(h.closed());
}

TEST_CASE("what the gateway does not implement is not-implemented (540)", "[amqp091][channel]")
{
    session_harness h;
    h.open_connection();
    h.open_channel(1);
    SECTION("immediate")
    {
        auto p = to_queue("q");
        p.immediate = true;
        h.send_content(1, p, {}, "x");
    }
    SECTION("prefetch by size")
    {
        h.send(1, basic_qos{ 4096, 0, false });
    }
    CHECK(connection_error_code(h) == 540);
}

TEST_CASE("transactions hold publishes and acks until commit, and rollback drops them", "[amqp091][channel]")
{
    session_harness h;
    h.open_connection();
    h.open_channel(1);
    h.declare_queue(1, "q");
    h.send_content(1, to_queue("q"), {}, "delivered");
    basic_consume c;
    c.queue = "q";
    h.send(1, c);
    as<basic_consume_ok>(h.next());
    CHECK(as<basic_deliver>(h.next()).delivery_tag == 1);
    h.discard();
    h.declare_queue(1, "other"); // held publishes go where no consumer sees them
    h.send(1, tx_select{});
    as<tx_select_ok>(h.next());
    h.send_content(1, to_queue("other"), {}, "held");
    h.send(1, basic_ack{ 1, false });
    CHECK(h.kernel.published().size() == 1); // only the one before tx.select
    CHECK(h.kernel.settles().empty());
    SECTION("commit")
    {
        h.send(1, tx_commit{});
        as<tx_commit_ok>(h.next());
        REQUIRE(h.kernel.published().size() == 2);
        CHECK(h.kernel.published()[1].level == plexus::sdk::ack_level::stored);
        CHECK(h.kernel.settles().size() == 1);
    }
    SECTION("rollback, then the ack is allowed again")
    {
        h.send(1, tx_rollback{});
        as<tx_rollback_ok>(h.next());
        h.send(1, tx_commit{});
        as<tx_commit_ok>(h.next());
        CHECK(h.kernel.published().size() == 1);
        CHECK(h.kernel.settles().empty());
        h.send(1, basic_ack{ 1, false });
        h.send(1, tx_commit{});
        as<tx_commit_ok>(h.next());
        CHECK(h.kernel.settles().size() == 1);
    }
    SECTION("confirm mode is refused on a transactional channel")
    {
        h.send(1, confirm_select{});
        expect_channel_error(h, 1, 406, "cannot switch from tx to confirm mode");
    }
}

TEST_CASE("commit without tx.select is a precondition failure", "[amqp091][channel]")
{
    session_harness h;
    h.open_connection();
    h.open_channel(1);
    h.send(1, tx_commit{});
    expect_channel_error(h, 1, 406, "channel is not transactional");
}
