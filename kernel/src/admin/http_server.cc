#include "kernel/src/admin/http_server.h"

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/URI.h>
#include <fmt/format.h>

#include <sstream>

namespace plexus::kernel {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;
using Poco::Net::HTTPResponse;
using sdk::errc;

struct http_error
{
    HTTPResponse::HTTPStatus code;
    std::string error;
    std::string reason;
};

[[noreturn]] void bad_request(const std::string& reason)
{
    throw http_error{ HTTPResponse::HTTP_BAD_REQUEST, "bad_request", reason };
}

HTTPResponse::HTTPStatus http_status_of(errc c)
{
    switch (c) {
        case errc::not_found:
            return HTTPResponse::HTTP_NOT_FOUND;
        case errc::invalid_argument:
            return HTTPResponse::HTTP_BAD_REQUEST;
        case errc::already_exists:
        case errc::precondition_failed:
        case errc::locked:
            return HTTPResponse::HTTP_CONFLICT;
        case errc::forbidden:
            return HTTPResponse::HTTP_FORBIDDEN;
        case errc::unavailable:
        case errc::resource_exhausted:
            return HTTPResponse::HTTP_SERVICE_UNAVAILABLE;
        default:
            return HTTPResponse::HTTP_INTERNAL_SERVER_ERROR;
    }
}

void check(const sdk::status& st)
{
    if (!st.ok()) {
        throw http_error{ http_status_of(st.code()),
                          std::string(sdk::to_string(st.code())),
                          std::string(st.message()) };
    }
}

template<class T>
T take(sdk::result<T> r)
{
    check(r.error());
    return std::move(*r);
}

// "amq.default" in URLs is the default exchange ("").
std::string exchange_name(const std::string& s)
{
    return s == "amq.default" ? std::string() : s;
}

sdk::header_value to_header_value(const Poco::Dynamic::Var& v, const std::string& key)
{
    if (v.isEmpty()) {
        return std::monostate{};
    }
    if (v.type() == typeid(bool)) {
        return v.extract<bool>();
    }
    if (v.isInteger()) {
        return static_cast<std::int64_t>(v.convert<Poco::Int64>());
    }
    if (v.isNumeric()) {
        return v.convert<double>();
    }
    if (v.isString()) {
        return v.convert<std::string>();
    }
    bad_request(fmt::format("argument '{}': nested values are not supported", key));
}

sdk::headers to_headers(const Object::Ptr& o)
{
    sdk::headers out;
    if (!o) {
        return out;
    }
    for (const auto& [k, v] : *o) {
        out.push_back({ k, to_header_value(v, k) });
    }
    return out;
}

Object::Ptr from_headers(const sdk::headers& h)
{
    Object::Ptr o = new Object;
    for (const auto& e : h) {
        std::visit(
          [&](const auto& v) {
              using V = std::decay_t<decltype(v)>;
              if constexpr (std::is_same_v<V, std::monostate>) {
                  o->set(e.key, Poco::Dynamic::Var());
              } else {
                  o->set(e.key, v);
              }
          },
          e.value);
    }
    return o;
}

// A typed body field, strictly: "yes" is not a boolean and "3" is not a number.
template<class T>
T field(const Object::Ptr& body, const std::string& key, T fallback)
{
    if (!body || !body->has(key) || body->isNull(key)) {
        return fallback;
    }
    const Poco::Dynamic::Var v = body->get(key);
    bool right_type = false;
    if constexpr (std::is_same_v<T, bool>) {
        right_type = v.type() == typeid(bool);
    } else if constexpr (std::is_integral_v<T>) {
        right_type = v.isInteger();
    } else if constexpr (std::is_same_v<T, std::string>) {
        right_type = v.isString();
    }
    if (!right_type) {
        bad_request(fmt::format("field '{}' has the wrong type", key));
    }
    try {
        return v.convert<T>();
    } catch (const Poco::Exception&) {
        bad_request(fmt::format("field '{}' is out of range", key));
    }
}

bool valid_utf8(const std::string& s)
{
    std::size_t i = 0;
    while (i < s.size()) {
        auto c = static_cast<unsigned char>(s[i]);
        std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (n == 0 || i + n > s.size()) {
            return false;
        }
        for (std::size_t k = 1; k < n; ++k) {
            if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) {
                return false;
            }
        }
        i += n;
    }
    return true;
}

std::string base64(const std::string& s)
{
    std::ostringstream out;
    Poco::Base64Encoder enc(out);
    enc.rdbuf()->setLineLength(0);
    enc << s;
    enc.close();
    return out.str();
}

std::string unbase64(const std::string& s)
{
    std::istringstream in(s);
    Poco::Base64Decoder dec(in);
    std::string out((std::istreambuf_iterator<char>(dec)), std::istreambuf_iterator<char>());
    return out;
}

// The JSON of one listed item, per kind (RabbitMQ management field names).
Object to_json(const kernel::exchange_summary& e)
{
    Object o;
    o.set("vhost", e.vhost);
    o.set("name", e.name.empty() ? "amq.default" : e.name);
    o.set("type", e.type);
    o.set("durable", e.durable);
    o.set("auto_delete", e.auto_delete);
    o.set("internal", e.internal);
    o.set("bindings", e.bindings);
    return o;
}

Object to_json(const kernel::queue_summary& q)
{
    Object o;
    o.set("vhost", q.vhost);
    o.set("name", q.name);
    o.set("durable", q.durable);
    o.set("exclusive", q.exclusive);
    o.set("auto_delete", q.auto_delete);
    o.set("storage", q.storage);
    o.set("messages", q.messages);
    o.set("messages_unacknowledged", q.unacked);
    o.set("consumers", q.consumers);
    o.set("shard", q.shard);
    return o;
}

Object to_json(const kernel::stream_summary& s)
{
    Object o;
    o.set("vhost", s.vhost);
    o.set("name", s.name);
    o.set("partitions", s.partitions);
    o.set("storage", s.storage);
    o.set("records", s.records);
    o.set("bytes", s.bytes);
    return o;
}

Object to_json(const kernel::binding_summary& b)
{
    Object o;
    o.set("vhost", b.vhost);
    o.set("source", b.exchange);
    o.set("destination", b.destination);
    o.set("destination_type", b.destination_is_stream ? "stream" : "queue");
    o.set("routing_key", b.key);
    return o;
}

class api_handler final : public Poco::Net::HTTPRequestHandler
{
  public:
    api_handler(admin_api& api, sdk::logger& log)
      : _api(api)
      , _log(log)
    {
    }

    void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& res) override
    {
        try {
            serve(req, res);
        } catch (const http_error& e) {
            reply_error(res, e.code, e.error, e.reason);
        } catch (const Poco::Exception& e) {
            reply_error(res, HTTPResponse::HTTP_BAD_REQUEST, "bad_request", e.displayText());
        } catch (const std::exception& e) {
            PLEXUS_LOG(_log, error, "admin {} {}: {}", req.getMethod(), req.getURI(), e.what());
            reply_error(res, HTTPResponse::HTTP_INTERNAL_SERVER_ERROR, "internal", e.what());
        }
    }

  private:
    static void reply_error(Poco::Net::HTTPServerResponse& res,
                            HTTPResponse::HTTPStatus code,
                            const std::string& error,
                            const std::string& reason)
    {
        Object o;
        o.set("error", error);
        o.set("reason", reason);
        std::ostringstream s;
        o.stringify(s);
        send(res, code, s.str());
    }
    static void send(Poco::Net::HTTPServerResponse& res,
                     HTTPResponse::HTTPStatus code,
                     const std::string& body,
                     const std::string& type = "application/json")
    {
        res.setStatus(code);
        res.setContentType(type);
        res.setContentLength(static_cast<std::streamsize>(body.size()));
        res.send() << body;
    }
    template<class J>
    static void send_json(Poco::Net::HTTPServerResponse& res,
                          const J& j,
                          HTTPResponse::HTTPStatus code = HTTPResponse::HTTP_OK)
    {
        std::ostringstream s;
        j.stringify(s);
        send(res, code, s.str());
    }
    /// A JSON array of `items`, each rendered by its to_json().
    template<class Items>
    static void send_list(Poco::Net::HTTPServerResponse& res, const Items& items)
    {
        Array a;
        for (const auto& item : items) {
            a.add(to_json(item));
        }
        send_json(res, a);
    }
    static void no_content(Poco::Net::HTTPServerResponse& res,
                           HTTPResponse::HTTPStatus code = HTTPResponse::HTTP_NO_CONTENT)
    {
        res.setStatus(code);
        res.setContentLength(0);
        res.send();
    }

    static Object::Ptr body_of(Poco::Net::HTTPServerRequest& req)
    {
        std::string text((std::istreambuf_iterator<char>(req.stream())), std::istreambuf_iterator<char>());
        if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
            return new Object;
        }
        try {
            Poco::JSON::Parser parser;
            auto v = parser.parse(text);
            auto o = v.extract<Object::Ptr>();
            if (!o) {
                bad_request("the body must be a JSON object");
            }
            return o;
        } catch (const http_error&) {
            throw;
        } catch (const Poco::Exception& e) {
            bad_request("malformed JSON body: " + e.displayText());
        } catch (const std::exception&) {
            bad_request("the body must be a JSON object");
        }
    }

    void serve(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& res)
    {
        Poco::URI uri(req.getURI());
        std::vector<std::string> parts;
        {
            // Split the still-encoded path so that %2F inside a segment (the vhost "/") stays
            // one segment, then decode each one.
            std::string raw = req.getURI();
            raw = raw.substr(0, raw.find('?'));
            std::size_t start = 1;
            while (start <= raw.size()) {
                auto slash = raw.find('/', start);
                auto seg = raw.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
                if (!seg.empty()) {
                    std::string decoded;
                    Poco::URI::decode(seg, decoded);
                    parts.push_back(decoded);
                }
                if (slash == std::string::npos) {
                    break;
                }
                start = slash + 1;
            }
        }
        const std::string& method = req.getMethod();
        auto n = parts.size();
        auto is = [&](std::size_t count, std::initializer_list<const char*> fixed) {
            if (n != count) {
                return false;
            }
            std::size_t i = 0;
            for (const char* f : fixed) {
                if (f != nullptr && parts[i] != f) {
                    return false;
                }
                ++i;
            }
            return true;
        };
        if (is(1, { "healthz" })) {
            return send(res, HTTPResponse::HTTP_OK, R"({"status":"ok"})");
        }
        if (is(1, { "metrics" })) {
            return send(res, HTTPResponse::HTTP_OK, _api.metrics_text(), "text/plain; version=0.0.4");
        }
        if (n < 2 || parts[0] != "api") {
            throw http_error{ HTTPResponse::HTTP_NOT_FOUND, "not_found", "no such endpoint: " + uri.getPath() };
        }
        const std::string& what = parts[1];
        auto method_not_allowed = [&] {
            throw http_error{ HTTPResponse::HTTP_METHOD_NOT_ALLOWED,
                              "method_not_allowed",
                              method + " is not supported on " + uri.getPath() };
        };
        if (what == "overview" && n == 2) {
            auto s = _api.status();
            Object o;
            o.set("version", s.version);
            o.set("shards", s.shards);
            o.set("uptime_ms", s.uptime_ms);
            Array vhosts;
            for (const auto& v : s.vhosts) {
                vhosts.add(v);
            }
            o.set("vhosts", vhosts);
            Array listeners;
            for (const auto& [name, port] : s.listeners) {
                Object l;
                l.set("name", name);
                l.set("port", port);
                listeners.add(l);
            }
            o.set("listeners", listeners);
            return send_json(res, o);
        }
        if (what == "vhosts") {
            if (n == 2 && method == "GET") {
                Array a;
                for (const auto& v : _api.list_vhosts()) {
                    Object o;
                    o.set("name", v);
                    a.add(o);
                }
                return send_json(res, a);
            }
            if (n == 3 && method == "PUT") {
                check(_api.declare_vhost(parts[2]));
                return no_content(res, HTTPResponse::HTTP_CREATED);
            }
            if (n == 3 && method == "DELETE") {
                check(_api.delete_vhost(parts[2]));
                return no_content(res);
            }
            method_not_allowed();
        }
        if (what == "exchanges") {
            if ((n == 2 || n == 3) && method == "GET") {
                return send_list(res, take(_api.list_exchanges(n == 3 ? parts[2] : "")));
            }
            if (n == 4 && method == "PUT") {
                auto body = body_of(req);
                sdk::exchange_spec spec;
                spec.vhost = parts[2];
                spec.name = exchange_name(parts[3]);
                spec.type = field<std::string>(body, "type", "direct");
                spec.durable = field<bool>(body, "durable", true);
                spec.auto_delete = field<bool>(body, "auto_delete", false);
                spec.internal = field<bool>(body, "internal", false);
                spec.arguments = to_headers(body->getObject("arguments"));
                check(_api.declare_exchange(spec));
                return no_content(res, HTTPResponse::HTTP_CREATED);
            }
            if (n == 4 && method == "DELETE") {
                check(_api.delete_exchange(parts[2], exchange_name(parts[3])));
                return no_content(res);
            }
            if (n == 5 && parts[4] == "publish" && method == "POST") {
                auto body = body_of(req);
                auto payload = field<std::string>(body, "payload", "");
                if (field<std::string>(body, "payload_encoding", "string") == "base64") {
                    payload = unbase64(payload);
                }
                sdk::message_properties props;
                sdk::headers headers;
                if (auto p = body->getObject("properties")) {
                    props.content_type = field<std::string>(p, "content_type", "");
                    props.correlation_id = field<std::string>(p, "correlation_id", "");
                    props.reply_to = field<std::string>(p, "reply_to", "");
                    props.message_id = field<std::string>(p, "message_id", "");
                    props.priority = static_cast<std::uint8_t>(field<int>(p, "priority", 0));
                    props.persistent = field<int>(p, "delivery_mode", 1) == 2;
                    headers = to_headers(p->getObject("headers"));
                }
                auto ack = take(_api.publish(parts[2],
                                             exchange_name(parts[3]),
                                             field<std::string>(body, "routing_key", ""),
                                             payload,
                                             headers,
                                             props));
                Object o;
                o.set("routed", ack.routed > 0);
                return send_json(res, o);
            }
            method_not_allowed();
        }
        if (what == "queues") {
            if ((n == 2 || n == 3) && method == "GET") {
                return send_list(res, take(_api.list_queues(n == 3 ? parts[2] : "")));
            }
            if (n == 4 && method == "PUT") {
                auto body = body_of(req);
                if (field<bool>(body, "exclusive", false)) {
                    bad_request("exclusive queues belong to a connection and cannot be declared over HTTP");
                }
                sdk::queue_spec spec;
                spec.vhost = parts[2];
                spec.name = parts[3];
                spec.durable = field<bool>(body, "durable", true);
                spec.auto_delete = field<bool>(body, "auto_delete", false);
                spec.storage = field<std::string>(body, "storage", "");
                spec.arguments = to_headers(body->getObject("arguments"));
                take(_api.declare_queue(spec));
                return no_content(res, HTTPResponse::HTTP_CREATED);
            }
            if (n == 4 && method == "DELETE") {
                take(_api.delete_queue(parts[2], parts[3]));
                return no_content(res);
            }
            if (n == 5 && parts[4] == "contents" && method == "DELETE") {
                Object o;
                o.set("messages", take(_api.purge_queue(parts[2], parts[3])));
                return send_json(res, o);
            }
            if (n == 5 && parts[4] == "get" && method == "POST") {
                auto body = body_of(req);
                auto count = field<int>(body, "count", 1);
                if (count < 1 || count > 10000) {
                    bad_request("count must be 1..10000");
                }
                bool ack = field<std::string>(body, "ackmode", "ack_requeue_false") != "ack_requeue_true";
                bool force_base64 = field<std::string>(body, "encoding", "auto") == "base64";
                Array a;
                for (const auto& m : take(_api.get(parts[2], parts[3], static_cast<std::uint32_t>(count), ack))) {
                    Object o;
                    std::string payload = m.d.msg->body.to_string();
                    bool as_text = !force_base64 && valid_utf8(payload);
                    o.set("payload", as_text ? payload : base64(payload));
                    o.set("payload_encoding", as_text ? "string" : "base64");
                    o.set("payload_bytes", payload.size());
                    o.set("redelivered", m.d.redelivered);
                    o.set("exchange", m.d.msg->exchange);
                    o.set("routing_key", m.d.msg->routing_key);
                    o.set("message_count", m.remaining);
                    Object props;
                    const auto& p = m.d.msg->properties;
                    if (!p.content_type.empty()) {
                        props.set("content_type", p.content_type);
                    }
                    if (!p.correlation_id.empty()) {
                        props.set("correlation_id", p.correlation_id);
                    }
                    if (!p.reply_to.empty()) {
                        props.set("reply_to", p.reply_to);
                    }
                    props.set("delivery_mode", p.persistent ? 2 : 1);
                    props.set("headers", from_headers(m.d.msg->headers_));
                    o.set("properties", props);
                    a.add(o);
                }
                return send_json(res, a);
            }
            method_not_allowed();
        }
        if (what == "streams") {
            if ((n == 2 || n == 3) && method == "GET") {
                return send_list(res, take(_api.list_streams(n == 3 ? parts[2] : "")));
            }
            if (n == 4 && method == "PUT") {
                auto body = body_of(req);
                sdk::stream_spec spec;
                spec.vhost = parts[2];
                spec.name = parts[3];
                spec.partitions = field<int>(body, "partitions", 1);
                spec.storage = field<std::string>(body, "storage", "");
                if (body->has("retention_ms")) {
                    spec.retention_ms = field<Poco::Int64>(body, "retention_ms", 0);
                }
                if (body->has("retention_bytes")) {
                    spec.retention_bytes = field<Poco::Int64>(body, "retention_bytes", 0);
                }
                take(_api.declare_stream(spec));
                return no_content(res, HTTPResponse::HTTP_CREATED);
            }
            if (n == 4 && method == "DELETE") {
                check(_api.delete_stream(parts[2], parts[3]));
                return no_content(res);
            }
            method_not_allowed();
        }
        if (what == "bindings") {
            if ((n == 2 || n == 3) && method == "GET") {
                return send_list(res, take(_api.list_bindings(n == 3 ? parts[2] : "")));
            }
            if (n == 7 && parts[3] == "e" && (parts[5] == "q" || parts[5] == "s")) {
                sdk::binding_spec spec;
                spec.vhost = parts[2];
                spec.exchange = exchange_name(parts[4]);
                spec.destination = parts[6];
                spec.destination_is_stream = parts[5] == "s";
                if (method == "POST") {
                    auto body = body_of(req);
                    spec.key = field<std::string>(body, "routing_key", "");
                    spec.arguments = to_headers(body->getObject("arguments"));
                    check(_api.bind(spec));
                    return no_content(res, HTTPResponse::HTTP_CREATED);
                }
                if (method == "DELETE") {
                    Poco::URI::QueryParameters q = uri.getQueryParameters();
                    for (const auto& [k, v] : q) {
                        if (k == "routing_key") {
                            spec.key = v;
                        }
                    }
                    check(_api.unbind(spec));
                    return no_content(res);
                }
                method_not_allowed();
            }
        }
        throw http_error{ HTTPResponse::HTTP_NOT_FOUND, "not_found", "no such endpoint: " + uri.getPath() };
    }

    admin_api& _api;
    sdk::logger& _log;
};

class handler_factory final : public Poco::Net::HTTPRequestHandlerFactory
{
  public:
    handler_factory(admin_api& api, sdk::logger& log)
      : _api(api)
      , _log(log)
    {
    }
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override
    {
        return new api_handler(_api, _log);
    }

  private:
    admin_api& _api;
    sdk::logger& _log;
};

} // namespace

struct admin_http_server::impl
{
    admin_api& api;
    std::string host;
    std::uint16_t port;
    sdk::logger& log;
    std::unique_ptr<Poco::Net::HTTPServer> server;
    std::uint16_t bound = 0;
};

admin_http_server::admin_http_server(admin_api& api, std::string host, std::uint16_t port, sdk::logger& log)
  : _impl(std::make_unique<impl>(impl{ api, std::move(host), port, log, nullptr, 0 }))
{
}

admin_http_server::~admin_http_server()
{
    stop();
}

sdk::status admin_http_server::start()
{
    try {
        Poco::Net::ServerSocket socket;
        socket.bind(Poco::Net::SocketAddress(_impl->host, _impl->port), true, false);
        socket.listen(64);
        _impl->bound = socket.address().port();
        auto* params = new Poco::Net::HTTPServerParams;
        params->setMaxThreads(4);
        params->setMaxQueued(64);
        _impl->server =
          std::make_unique<Poco::Net::HTTPServer>(new handler_factory(_impl->api, _impl->log), socket, params);
        _impl->server->start();
        return {};
    } catch (const Poco::Exception& e) {
        return sdk::status(errc::unavailable,
                           fmt::format("admin {}:{}: {}", _impl->host, _impl->port, e.displayText()));
    }
}

std::uint16_t admin_http_server::port() const noexcept
{
    return _impl->bound;
}

void admin_http_server::stop()
{
    if (_impl->server) {
        _impl->server->stopAll(true);
        _impl->server.reset();
    }
}

} // namespace plexus::kernel
