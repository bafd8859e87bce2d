// The admin HTTP server over a fake admin_api: URL routing and decoding, JSON in and out, and
// the mapping of every error to its HTTP status — over real HTTP on loopback.
#include "kernel/src/admin/http_server.h"
#include "kernel/src/observability/logging.h"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <catch2/catch.hpp>

#include <map>

using namespace plexus;
using sdk::errc;

namespace {

// Remembers what it was asked and answers from a script.
struct fake_admin final : kernel::admin_api
{
    std::vector<std::string> calls;
    sdk::status next_failure; // returned (once) by the next mutating call when set
    std::vector<sdk::queue_spec> declared_queues;
    std::vector<sdk::binding_spec> bindings;
    std::vector<std::pair<std::string, sdk::headers>> published; // exchange, headers

    sdk::status take_failure()
    {
        auto f = next_failure;
        next_failure = {};
        return f;
    }
    kernel::broker_status status() override
    {
        calls.push_back("status");
        return { "9.9.9", 2, 42, { "/" }, { { "amqp091", 5672 } } };
    }
    std::vector<std::string> list_vhosts() override { return { "/", "tenant" }; }
    sdk::status declare_vhost(const std::string& name) override
    {
        calls.push_back("declare_vhost " + name);
        return take_failure();
    }
    sdk::status delete_vhost(const std::string& name) override
    {
        calls.push_back("delete_vhost " + name);
        return take_failure();
    }
    sdk::result<std::vector<kernel::exchange_summary>> list_exchanges(const std::string& vhost) override
    {
        calls.push_back("list_exchanges " + vhost);
        return std::vector<kernel::exchange_summary>{ { "/", "", "direct", true, false, false, 0 },
                                                      { "/", "amq.topic", "topic", true, false, false, 3 } };
    }
    sdk::result<std::vector<kernel::queue_summary>> list_queues(const std::string& vhost) override
    {
        calls.push_back("list_queues " + vhost);
        if (vhost == "missing") {
            return sdk::status(errc::not_found, "no vhost 'missing'");
        }
        return std::vector<kernel::queue_summary>{ { "/", "orders", true, false, false, "memory", 5, 1, 2 } };
    }
    sdk::result<std::vector<kernel::stream_summary>> list_streams(const std::string&) override
    {
        return std::vector<kernel::stream_summary>{};
    }
    sdk::result<std::vector<kernel::binding_summary>> list_bindings(const std::string&) override
    {
        return std::vector<kernel::binding_summary>{ { "/", "amq.topic", "events", true, "orders.#" } };
    }
    sdk::status declare_exchange(const sdk::exchange_spec& spec) override
    {
        calls.push_back("declare_exchange " + spec.vhost + " " + spec.name + " " + spec.type);
        return take_failure();
    }
    sdk::status delete_exchange(const std::string& vhost, const std::string& name) override
    {
        calls.push_back("delete_exchange " + vhost + " [" + name + "]");
        return take_failure();
    }
    sdk::result<sdk::queue_info> declare_queue(const sdk::queue_spec& spec) override
    {
        declared_queues.push_back(spec);
        if (auto f = take_failure(); !f.ok()) {
            return f;
        }
        return sdk::queue_info{ spec.name, 0, 0, 0 };
    }
    sdk::result<std::uint64_t> delete_queue(const std::string&, const std::string&) override
    {
        if (auto f = take_failure(); !f.ok()) {
            return f;
        }
        return std::uint64_t{ 3 };
    }
    sdk::result<std::uint64_t> purge_queue(const std::string&, const std::string&) override
    {
        return std::uint64_t{ 7 };
    }
    sdk::result<sdk::stream_info> declare_stream(const sdk::stream_spec& spec) override
    {
        calls.push_back("declare_stream " + spec.name + " " + std::to_string(spec.partitions) + " " +
                        std::to_string(spec.retention_ms.value_or(-1)));
        sdk::stream_info info;
        info.name = spec.name;
        info.partitions = spec.partitions;
        return info;
    }
    sdk::status delete_stream(const std::string&, const std::string&) override { return take_failure(); }
    sdk::status bind(const sdk::binding_spec& spec) override
    {
        bindings.push_back(spec);
        return take_failure();
    }
    sdk::status unbind(const sdk::binding_spec& spec) override
    {
        calls.push_back("unbind " + spec.exchange + " " + spec.destination + " " + spec.key);
        return take_failure();
    }
    sdk::result<sdk::publish_ack> publish(const std::string&,
                                          const std::string& exchange,
                                          const std::string& key,
                                          const std::string& body,
                                          const sdk::headers& headers,
                                          const sdk::message_properties&) override
    {
        published.emplace_back(exchange, headers);
        calls.push_back("publish [" + exchange + "] " + key + " " + body);
        return sdk::publish_ack{ sdk::ack_level::stored, key == "nobody" ? 0u : 1u };
    }
    sdk::result<std::vector<sdk::fetched_message>> get(const std::string&,
                                                       const std::string&,
                                                       std::uint32_t count,
                                                       bool ack) override
    {
        calls.push_back("get " + std::to_string(count) + (ack ? " ack" : " requeue"));
        std::vector<sdk::fetched_message> out;
        for (const char* body : { "text", "\xff\xfe" }) {
            auto m = std::make_shared<sdk::message>();
            m->routing_key = "orders";
            m->body = sdk::buffer_chain::copy_of(body);
            sdk::fetched_message f;
            f.d.msg = m;
            out.push_back(f);
        }
        return out;
    }
    std::string metrics_text() override { return "plexus_test_total 1\n"; }
};

struct http_fixture
{
    fake_admin api;
    kernel::log_registry logs{ "off" };
    kernel::admin_http_server server{ api, "127.0.0.1", 0, logs.get("test") };

    http_fixture() { REQUIRE(server.start().ok()); }

    struct reply
    {
        int status;
        std::string body;
        std::string content_type;
    };
    reply call(const std::string& method, const std::string& path, const std::string& body = {})
    {
        Poco::Net::HTTPClientSession s("127.0.0.1", server.port());
        Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
        req.setContentLength(static_cast<std::streamsize>(body.size()));
        s.sendRequest(req) << body;
        Poco::Net::HTTPResponse res;
        auto& in = s.receiveResponse(res);
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        return { static_cast<int>(res.getStatus()), text, res.getContentType() };
    }
};

bool has(const std::string& s, const std::string& needle)
{
    return s.find(needle) != std::string::npos;
}

} // namespace

TEST_CASE_METHOD(http_fixture, "health, metrics and overview", "[unit][admin]")
{
    auto h = call("GET", "/healthz");
    CHECK(h.status == 200);
    CHECK(h.body == R"({"status":"ok"})");
    auto m = call("GET", "/metrics");
    CHECK(m.status == 200);
    CHECK(m.content_type == "text/plain; version=0.0.4");
    CHECK(m.body == "plexus_test_total 1\n");
    auto o = call("GET", "/api/overview");
    CHECK(o.status == 200);
    CHECK(has(o.body, R"("version":"9.9.9")"));
    CHECK(has(o.body, R"("name":"amqp091")"));
}

TEST_CASE_METHOD(http_fixture, "vhosts are URL-decoded and the default exchange is amq.default", "[unit][admin]")
{
    CHECK(call("PUT", "/api/vhosts/a%2Fb").status == 201);
    CHECK(api.calls.back() == "declare_vhost a/b");
    CHECK(call("PUT", "/api/exchanges/%2F/logs", R"({"type":"fanout"})").status == 201);
    CHECK(api.calls.back() == "declare_exchange / logs fanout");
    CHECK(call("DELETE", "/api/exchanges/%2F/amq.default").status == 204);
    CHECK(api.calls.back() == "delete_exchange / []");
    auto listed = call("GET", "/api/exchanges/%2F");
    CHECK(listed.status == 200);
    CHECK(has(listed.body, R"("name":"amq.default")"));
    CHECK(api.calls.back() == "list_exchanges /");
}

TEST_CASE_METHOD(http_fixture, "queues: declare with arguments, list, purge, get with encodings", "[unit][admin]")
{
    auto r = call(
      "PUT",
      "/api/queues/%2F/orders",
      R"({"durable":true,"arguments":{"x-single-active-consumer":true,"x-max-length":10,"x-note":"n","x-void":null}})");
    CHECK(r.status == 201);
    REQUIRE(api.declared_queues.size() == 1);
    const auto& q = api.declared_queues[0];
    CHECK(q.durable);
    CHECK(*sdk::find_header(q.arguments, "x-single-active-consumer") == sdk::header_value(true));
    CHECK(*sdk::find_header(q.arguments, "x-max-length") == sdk::header_value(std::int64_t{ 10 }));
    CHECK(*sdk::find_header(q.arguments, "x-note") == sdk::header_value(std::string("n")));
    CHECK(std::holds_alternative<std::monostate>(*sdk::find_header(q.arguments, "x-void")));

    auto list = call("GET", "/api/queues");
    CHECK(has(list.body, R"("messages":5)"));
    CHECK(has(list.body, R"("messages_unacknowledged":1)"));
    CHECK(call("DELETE", "/api/queues/%2F/orders/contents").body == R"({"messages":7})");

    auto got = call("POST", "/api/queues/%2F/orders/get", R"({"count":2,"ackmode":"ack_requeue_true"})");
    CHECK(got.status == 200);
    CHECK(api.calls.back() == "get 2 requeue");
    CHECK(has(got.body, R"("payload":"text","payload_bytes":4,"payload_encoding":"string")"));
    CHECK(has(got.body, R"("payload":"//4=","payload_bytes":2,"payload_encoding":"base64")")); // not UTF-8
}

TEST_CASE_METHOD(http_fixture, "publish, bindings and streams", "[unit][admin]")
{
    auto p =
      call("POST",
           "/api/exchanges/%2F/amq.default/publish",
           R"({"routing_key":"orders","payload":"aGk=","payload_encoding":"base64","properties":{"headers":{"k":1}}})");
    CHECK(p.body == R"({"routed":true})");
    CHECK(api.calls.back() == "publish [] orders hi");
    REQUIRE(api.published.size() == 1);
    CHECK(api.published[0].second == sdk::headers{ { "k", std::int64_t{ 1 } } });
    CHECK(call("POST", "/api/exchanges/%2F/amq.direct/publish", R"({"routing_key":"nobody"})").body ==
          R"({"routed":false})");

    CHECK(call("POST", "/api/bindings/%2F/e/amq.topic/s/events", R"({"routing_key":"orders.#"})").status == 201);
    REQUIRE(api.bindings.size() == 1);
    CHECK(api.bindings[0].destination_is_stream);
    CHECK(api.bindings[0].key == "orders.#");
    CHECK(call("DELETE", "/api/bindings/%2F/e/amq.topic/q/orders?routing_key=a.b").status == 204);
    CHECK(api.calls.back() == "unbind amq.topic orders a.b");
    CHECK(has(call("GET", "/api/bindings").body, R"("destination_type":"stream")"));

    CHECK(call("PUT", "/api/streams/%2F/events", R"({"partitions":3,"retention_ms":60000})").status == 201);
    CHECK(api.calls.back() == "declare_stream events 3 60000");
}

TEST_CASE_METHOD(http_fixture, "errors map to HTTP statuses with the reason", "[unit][admin]")
{
    auto nf = call("GET", "/api/queues/missing");
    CHECK(nf.status == 404);
    CHECK(nf.body == R"({"error":"not_found","reason":"no vhost 'missing'"})");

    api.next_failure = sdk::status(errc::precondition_failed, "inequivalent arg 'durable'");
    auto conflict = call("PUT", "/api/queues/%2F/q", "{}");
    CHECK(conflict.status == 409);
    CHECK(has(conflict.body, "inequivalent arg 'durable'"));

    api.next_failure = sdk::status(errc::forbidden, "operation not permitted");
    CHECK(call("DELETE", "/api/exchanges/%2F/amq.direct").status == 403);
    api.next_failure = sdk::status(errc::locked, "exclusive");
    CHECK(call("DELETE", "/api/queues/%2F/q").status == 409);
    api.next_failure = sdk::status(errc::resource_exhausted, "disk");
    CHECK(call("PUT", "/api/vhosts/v").status == 503);
    api.next_failure = sdk::status(errc::internal, "bug");
    CHECK(call("DELETE", "/api/vhosts/v").status == 500);
    api.next_failure = sdk::status(errc::invalid_argument, "invalid exchange type 'x'");
    CHECK(call("PUT", "/api/exchanges/%2F/e", R"({"type":"x"})").status == 400);
}

TEST_CASE_METHOD(http_fixture, "bad requests are refused and the server keeps serving", "[unit][admin]")
{
    auto malformed = call("PUT", "/api/queues/%2F/q", "{not json");
    CHECK(malformed.status == 400);
    CHECK(has(malformed.body, "malformed JSON"));
    CHECK(call("PUT", "/api/queues/%2F/q", "[1,2]").status == 400);
    CHECK(call("PUT", "/api/queues/%2F/q", R"({"durable":"yes"})").status == 400);
    CHECK(call("PUT", "/api/queues/%2F/q", R"({"arguments":{"nested":{"a":1}}})").status == 400);
    CHECK(call("PUT", "/api/queues/%2F/q", R"({"exclusive":true})").status == 400);
    CHECK(call("POST", "/api/queues/%2F/q/get", R"({"count":0})").status == 400);
    CHECK(call("GET", "/api/nothing").status == 404);
    CHECK(call("GET", "/nothing").status == 404);
    CHECK(call("POST", "/api/vhosts").status == 405);
    CHECK(call("GET", "/healthz").status == 200);
}

TEST_CASE("the admin port in use is refused with the address", "[unit][admin]")
{
    fake_admin api;
    kernel::log_registry logs{ "off" };
    Poco::Net::ServerSocket taken(Poco::Net::SocketAddress("127.0.0.1", 0));
    auto port = taken.address().port();
    kernel::admin_http_server server(api, "127.0.0.1", port, logs.get("test"));
    auto st = server.start();
    CHECK(st.code() == errc::unavailable);
    CHECK(has(std::string(st.message()), "admin 127.0.0.1:" + std::to_string(port)));
}
