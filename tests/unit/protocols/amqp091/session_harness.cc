#include "session_harness.h"

#include "frame.h"

#include <catch2/catch.hpp>

namespace plexus::tests::amqp091 {

session_harness::session_harness(amqp::gateway_config config, std::string peer)
  : conn(exec, 7, std::move(peer))
  , _config(config)
{
    _session = std::make_unique<amqp::session>(conn, kernel, _config, kernel.log("protocol.amqp091"));
}

session_harness::~session_harness()
{
    if (_session) {
        _session->on_close(plexus::sdk::status(plexus::sdk::errc::unavailable, "test over"));
        _session.reset();
    }
}

void session_harness::feed(const std::string& bytes)
{
    if (!_session) {
        return;
    }
    _in.append(plexus::sdk::bytes::copy_of(bytes));
    auto st = _session->on_data(_in);
    if (!st.ok()) {
        conn.close(st, true);
    }
    run();
}

void session_harness::send(std::uint16_t channel, const amqp::method& m)
{
    std::string out;
    amqp::append_method_frame(out, channel, m);
    feed(out);
}

void session_harness::send_content(std::uint16_t channel,
                                   const amqp::method& m,
                                   const amqp::basic_properties& p,
                                   const std::string& body)
{
    std::string out;
    amqp::append_method_frame(out, channel, m);
    amqp::append_header_frame(out, channel, body.size(), p);
    if (!body.empty()) {
        auto at = amqp::begin_frame(out, amqp::frame_type::body, channel);
        out += body;
        amqp::end_frame(out, at);
    }
    feed(out);
}

void session_harness::run()
{
    exec.run_all();
    settle_close();
}

void session_harness::settle_close()
{
    if (_session && conn.closed()) {
        _closed_with = *conn.closed();
        _session->on_close(*conn.closed());
        _session.reset();
        exec.run_all();
    }
}

std::deque<sent_frame> session_harness::take_frames()
{
    _out_tail += conn.take_written();
    auto in = plexus::sdk::buffer_chain::copy_of(_out_tail);
    std::deque<sent_frame> out;
    for (;;) {
        auto step = amqp::next_frame(in, 0);
        if (auto* e = std::get_if<amqp::amqp_error>(&step)) {
            FAIL("the session sent a malformed frame: " << e->reply_text());
        }
        auto* f = std::get_if<amqp::frame>(&step);
        if (f == nullptr) {
            break;
        }
        sent_frame s{ f->type, f->channel, std::nullopt, std::nullopt, {} };
        std::string payload = f->payload.to_string();
        if (f->type == amqp::frame_type::method) {
            auto d = amqp::decode_method(payload);
            if (auto* e = std::get_if<amqp::amqp_error>(&d)) {
                FAIL("the session sent an undecodable method: " << e->reply_text());
            }
            s.method = std::get<amqp::method>(d);
        } else if (f->type == amqp::frame_type::header) {
            amqp::wire_reader r(payload);
            s.header = amqp::read_content_header(r);
            REQUIRE(r.ok());
        } else if (f->type == amqp::frame_type::body) {
            s.body = payload;
        }
        out.push_back(std::move(s));
    }
    _out_tail = in.to_string();
    return out;
}

std::optional<sent_frame> session_harness::next()
{
    for (auto& f : take_frames()) {
        _backlog.push_back(std::move(f));
    }
    while (!_backlog.empty() && _backlog.front().type == amqp::frame_type::heartbeat) {
        _backlog.pop_front();
    }
    if (_backlog.empty()) {
        return std::nullopt;
    }
    auto f = std::move(_backlog.front());
    _backlog.pop_front();
    return f;
}

void session_harness::open_connection(std::uint16_t heartbeat, std::string vhost, bool blocked_capability)
{
    feed(std::string(amqp::protocol_header));
    as<amqp::connection_start>(next());
    amqp::connection_start_ok ok;
    ok.mechanism = "PLAIN";
    ok.response = std::string("\0guest\0guest", 12);
    ok.locale = "en_US";
    ok.client_properties = { { "capabilities",
                               amqp::field_value::table(
                                 { { "consumer_cancel_notify", amqp::field_value::boolean(true) },
                                   { "connection.blocked", amqp::field_value::boolean(blocked_capability) } }) } };
    send(0, ok);
    const auto& tune = as<amqp::connection_tune>(next());
    send(0, amqp::connection_tune_ok{ tune.channel_max, tune.frame_max, heartbeat });
    amqp::connection_open open;
    open.virtual_host = std::move(vhost);
    send(0, open);
    as<amqp::connection_open_ok>(next());
}

void session_harness::open_channel(std::uint16_t channel)
{
    send(channel, amqp::channel_open{});
    auto f = next();
    as<amqp::channel_open_ok>(f);
    REQUIRE(f->channel == channel);
}

void session_harness::declare_queue(std::uint16_t channel, std::string name)
{
    amqp::queue_declare d;
    d.queue = std::move(name);
    send(channel, d);
    as<amqp::queue_declare_ok>(next());
}

amqp::basic_publish to_queue(std::string queue, bool mandatory)
{
    amqp::basic_publish p;
    p.routing_key = std::move(queue);
    p.mandatory = mandatory;
    return p;
}

} // namespace plexus::tests::amqp091
