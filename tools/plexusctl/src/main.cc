// plexusctl: status, list, declare, delete, purge, publish and get through plexusd's admin API.
// Exit codes: 0 ok, 1 the API refused (one line on stderr), 2 the API is unreachable,
// 3 a publish was unroutable, 64 usage.
#include "admin_client.h"
#include "table.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

namespace {

using plexus::ctl::encode_segment;
using Poco::JSON::Array;
using Poco::JSON::Object;

constexpr const char* usage = R"(usage: plexusctl [--host H] [--port P] [--json] <command>
  status
  list vhosts|exchanges|queues|streams|bindings [--vhost V]
  declare vhost NAME
  declare exchange NAME --type T [--durable] [--auto-delete] [--vhost V]
  declare queue NAME [--durable] [--auto-delete] [--storage E] [--arg k=v]... [--vhost V]
  declare stream NAME [--partitions N] [--retention-ms MS] [--retention-bytes B] [--vhost V]
  declare binding --source EX --destination D [--destination-type queue|stream] [--routing-key K] [--vhost V]
  delete vhost|exchange|queue|stream NAME [--vhost V]
  purge queue NAME [--vhost V]
  publish --exchange EX --routing-key K [--body TEXT | --body-file F] [--header k=v]... [--content-type T] [--persistent] [--vhost V]
  get --queue Q [--count N] [--requeue] [--vhost V]
The port defaults to $PLEXUS_ADMIN_PORT, else 15672.
)";

struct usage_error : std::runtime_error
{
    using std::runtime_error::runtime_error;
};

struct args
{
    std::vector<std::string> positional;
    std::map<std::string, std::vector<std::string>> options; // --name -> values ("" for flags)
    bool has(const std::string& k) const { return options.count(k) != 0; }
    std::string get(const std::string& k, std::string fallback = {}) const
    {
        auto it = options.find(k);
        return it == options.end() ? fallback : it->second.back();
    }
};

const std::set<std::string> flags = { "--json", "--durable", "--auto-delete", "--requeue", "--persistent" };

args parse(int argc, char** argv)
{
    args a;
    for (int i = 1; i < argc; ++i) {
        std::string s = argv[i];
        if (s.rfind("--", 0) == 0) {
            if (flags.count(s) != 0) {
                a.options[s].push_back("");
            } else if (i + 1 < argc) {
                a.options[s].push_back(argv[++i]);
            } else {
                throw usage_error(s + " needs a value");
            }
        } else {
            a.positional.push_back(s);
        }
    }
    return a;
}

std::string str(const Poco::Dynamic::Var& v)
{
    return v.isEmpty() ? "" : v.convert<std::string>();
}

std::string json_text(const Object& o)
{
    std::ostringstream s;
    o.stringify(s);
    return s.str();
}

// "k=v" pairs into a JSON object; values that read as integers or booleans keep that type.
Object pairs_to_object(const std::vector<std::string>& pairs)
{
    Object o;
    for (const auto& p : pairs) {
        auto eq = p.find('=');
        if (eq == std::string::npos) {
            throw usage_error("expected k=v, got '" + p + "'");
        }
        std::string k = p.substr(0, eq), v = p.substr(eq + 1);
        if (v == "true" || v == "false") {
            o.set(k, v == "true");
        } else if (!v.empty() && v.find_first_not_of("-0123456789") == std::string::npos) {
            o.set(k, std::stoll(v));
        } else {
            o.set(k, v);
        }
    }
    return o;
}

int run(const args& a)
{
    if (a.positional.empty()) {
        throw usage_error("no command");
    }
    std::string host = a.get("--host", "127.0.0.1");
    const char* env_port = std::getenv("PLEXUS_ADMIN_PORT");
    int port = std::stoi(a.get("--port", env_port ? env_port : "15672"));
    plexus::ctl::admin_client api(host, static_cast<std::uint16_t>(port));
    bool json = a.has("--json");
    std::string vhost = encode_segment(a.get("--vhost", "/"));
    const auto& p = a.positional;
    const std::string& cmd = p[0];
    auto name = [&](std::size_t i) {
        if (p.size() <= i) {
            throw usage_error(cmd + " needs a name");
        }
        return p[i];
    };

    if (cmd == "status") {
        std::string raw;
        auto v = api.call("GET", "/api/overview", {}, &raw);
        if (json) {
            std::cout << raw << "\n";
            return 0;
        }
        auto o = v.extract<Object::Ptr>();
        std::cout << fmt::format("version  {}\nshards   {}\nuptime   {} ms\n",
                                 str(o->get("version")),
                                 str(o->get("shards")),
                                 str(o->get("uptime_ms")));
        std::string vhosts;
        for (const auto& x : *o->getArray("vhosts")) {
            vhosts += (vhosts.empty() ? "" : ", ") + str(x);
        }
        std::cout << "vhosts   " << vhosts << "\n";
        for (const auto& l : *o->getArray("listeners")) {
            auto lo = l.extract<Object::Ptr>();
            std::cout << fmt::format("listener {} on port {}\n", str(lo->get("name")), str(lo->get("port")));
        }
        return 0;
    }
    if (cmd == "list") {
        std::string what = name(1);
        static const std::map<std::string, std::vector<std::string>> columns = {
            { "vhosts", { "name" } },
            { "exchanges", { "vhost", "name", "type", "durable", "bindings" } },
            { "queues", { "vhost", "name", "messages", "messages_unacknowledged", "consumers", "durable", "storage" } },
            { "streams", { "vhost", "name", "partitions", "records", "bytes", "storage" } },
            { "bindings", { "vhost", "source", "destination", "destination_type", "routing_key" } },
        };
        auto cols = columns.find(what);
        if (cols == columns.end()) {
            throw usage_error("list what? vhosts, exchanges, queues, streams or bindings");
        }
        std::string path = "/api/" + what + (a.has("--vhost") && what != "vhosts" ? "/" + vhost : "");
        std::string raw;
        auto v = api.call("GET", path, {}, &raw);
        if (json) {
            std::cout << raw << "\n";
            return 0;
        }
        std::vector<std::vector<std::string>> rows;
        for (const auto& item : *v.extract<Array::Ptr>()) {
            auto o = item.extract<Object::Ptr>();
            std::vector<std::string> row;
            for (const auto& c : cols->second) {
                row.push_back(str(o->get(c)));
            }
            rows.push_back(std::move(row));
        }
        std::cout << plexus::ctl::render_table(cols->second, rows);
        return 0;
    }
    if (cmd == "declare" || cmd == "delete") {
        std::string what = name(1);
        bool del = cmd == "delete";
        if (what == "vhost") {
            api.call(del ? "DELETE" : "PUT", "/api/vhosts/" + encode_segment(name(2)));
        } else if (what == "exchange") {
            Object body;
            body.set("type", a.get("--type", "direct"));
            body.set("durable", a.has("--durable"));
            body.set("auto_delete", a.has("--auto-delete"));
            api.call(del ? "DELETE" : "PUT",
                     "/api/exchanges/" + vhost + "/" + encode_segment(name(2)),
                     del ? "" : json_text(body));
        } else if (what == "queue") {
            Object body;
            body.set("durable", a.has("--durable"));
            body.set("auto_delete", a.has("--auto-delete"));
            if (a.has("--storage")) {
                body.set("storage", a.get("--storage"));
            }
            auto it = a.options.find("--arg");
            body.set("arguments", pairs_to_object(it == a.options.end() ? std::vector<std::string>{} : it->second));
            api.call(del ? "DELETE" : "PUT",
                     "/api/queues/" + vhost + "/" + encode_segment(name(2)),
                     del ? "" : json_text(body));
        } else if (what == "stream") {
            Object body;
            body.set("partitions", std::stoi(a.get("--partitions", "1")));
            if (a.has("--retention-ms")) {
                body.set("retention_ms", std::stoll(a.get("--retention-ms")));
            }
            if (a.has("--retention-bytes")) {
                body.set("retention_bytes", std::stoll(a.get("--retention-bytes")));
            }
            api.call(del ? "DELETE" : "PUT",
                     "/api/streams/" + vhost + "/" + encode_segment(name(2)),
                     del ? "" : json_text(body));
        } else if (what == "binding" && !del) {
            if (!a.has("--source") || !a.has("--destination")) {
                throw usage_error("declare binding needs --source and --destination");
            }
            Object body;
            body.set("routing_key", a.get("--routing-key"));
            std::string kind = a.get("--destination-type", "queue") == "stream" ? "s" : "q";
            api.call("POST",
                     "/api/bindings/" + vhost + "/e/" + encode_segment(a.get("--source")) + "/" + kind + "/" +
                       encode_segment(a.get("--destination")),
                     json_text(body));
        } else {
            throw usage_error(cmd + " what?");
        }
        if (!json) {
            std::cout << (del ? "deleted " : "declared ") << what << "\n";
        }
        return 0;
    }
    if (cmd == "purge") {
        if (name(1) != "queue") {
            throw usage_error("purge queue NAME");
        }
        auto v = api.call("DELETE", "/api/queues/" + vhost + "/" + encode_segment(name(2)) + "/contents");
        std::cout << "purged " << str(v.extract<Object::Ptr>()->get("messages")) << " messages\n";
        return 0;
    }
    if (cmd == "publish") {
        if (!a.has("--exchange")) {
            throw usage_error("publish needs --exchange (amq.default for the default exchange)");
        }
        std::string payload = a.get("--body");
        if (a.has("--body-file")) {
            std::ifstream in(a.get("--body-file"), std::ios::binary);
            if (!in) {
                throw usage_error("cannot read " + a.get("--body-file"));
            }
            payload.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
        }
        Object body;
        body.set("routing_key", a.get("--routing-key"));
        body.set("payload", payload);
        body.set("payload_encoding", "string");
        Object props;
        if (a.has("--content-type")) {
            props.set("content_type", a.get("--content-type"));
        }
        if (a.has("--persistent")) {
            props.set("delivery_mode", 2); // answered once durable
        }
        auto it = a.options.find("--header");
        props.set("headers", pairs_to_object(it == a.options.end() ? std::vector<std::string>{} : it->second));
        body.set("properties", props);
        std::string exchange = a.get("--exchange");
        auto v = api.call("POST",
                          "/api/exchanges/" + vhost + "/" +
                            encode_segment(exchange.empty() ? "amq.default" : exchange) + "/publish",
                          json_text(body));
        bool routed = v.extract<Object::Ptr>()->getValue<bool>("routed");
        std::cout << (routed ? "routed" : "unroutable") << "\n";
        return routed ? 0 : 3;
    }
    if (cmd == "get") {
        if (!a.has("--queue")) {
            throw usage_error("get needs --queue");
        }
        Object body;
        body.set("count", std::stoi(a.get("--count", "1")));
        body.set("ackmode", a.has("--requeue") ? "ack_requeue_true" : "ack_requeue_false");
        body.set("encoding", "auto");
        std::string raw;
        auto v = api.call(
          "POST", "/api/queues/" + vhost + "/" + encode_segment(a.get("--queue")) + "/get", json_text(body), &raw);
        if (json) {
            std::cout << raw << "\n";
            return 0;
        }
        for (const auto& m : *v.extract<Array::Ptr>()) {
            std::cout << str(m.extract<Object::Ptr>()->get("payload")) << "\n";
        }
        return 0;
    }
    throw usage_error("unknown command '" + cmd + "'");
}

} // namespace

int main(int argc, char** argv)
{
    try {
        return run(parse(argc, argv));
    } catch (const usage_error& e) {
        std::cerr << "plexusctl: " << e.what() << "\n" << usage;
        return 64;
    } catch (const plexus::ctl::unreachable& e) {
        std::cerr << "plexusctl: " << e.what() << "\n";
        return 2;
    } catch (const plexus::ctl::api_error& e) {
        std::cerr << "plexusctl: " << e.what() << "\n";
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "plexusctl: " << e.what() << "\n";
        return 1;
    }
}
