#include "kernel/src/config/config_loader.h"

#include "kernel/src/auth/password_hash.h"

#include "kernel/src/observability/logging.h"

#include <fmt/format.h>

#include <limits>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <optional>
#include <fstream>
#include <set>
#include <sstream>

namespace plexus::kernel {
namespace {

using sdk::errc;

// Carries the first problem out of the nested walk (control-plane code: exceptions are fine
// here and never leave this file).
struct config_error
{
    std::string path;
    std::string what;
};

[[noreturn]] void fail(const std::string& path, std::string what)
{
    throw config_error{ path, std::move(what) };
}

std::string join(const std::string& parent, const std::string& key)
{
    return parent.empty() ? key : parent + "." + key;
}

std::string show(const YAML::Node& n)
{
    if (n.IsScalar()) {
        return n.Scalar();
    }
    if (n.IsSequence()) {
        return "a list";
    }
    if (n.IsMap()) {
        return "a map";
    }
    return "nothing";
}

/// Rejects any key of `map` outside `allowed`.
void only_keys(const YAML::Node& map, const std::string& path, std::initializer_list<std::string_view> allowed)
{
    if (!map.IsMap()) {
        fail(path, fmt::format("expected a map, got {}", show(map)));
    }
    for (const auto& kv : map) {
        auto key = kv.first.as<std::string>();
        bool known = false;
        for (auto a : allowed) {
            known = known || key == a;
        }
        if (!known) {
            fail(join(path, key), "unknown key");
        }
    }
}

std::string as_string(const YAML::Node& n, const std::string& path)
{
    if (!n.IsScalar()) {
        fail(path, fmt::format("expected a string, got {}", show(n)));
    }
    return n.Scalar();
}

bool as_bool(const YAML::Node& n, const std::string& path)
{
    bool v = false;
    if (!n.IsScalar() || !YAML::convert<bool>::decode(n, v)) {
        fail(path, fmt::format("expected true or false, got '{}'", show(n)));
    }
    return v;
}

std::int64_t as_int(const YAML::Node& n, const std::string& path, std::int64_t lo, std::int64_t hi)
{
    long long v = 0;
    if (!n.IsScalar() || !YAML::convert<long long>::decode(n, v) || v < lo || v > hi) {
        fail(path, fmt::format("expected an integer {}..{}, got '{}'", lo, hi, show(n)));
    }
    return v;
}

std::vector<std::string> as_string_list(const YAML::Node& n, const std::string& path)
{
    if (!n.IsSequence()) {
        fail(path, fmt::format("expected a list, got {}", show(n)));
    }
    std::vector<std::string> out;
    for (std::size_t i = 0; i < n.size(); ++i) {
        out.push_back(as_string(n[i], fmt::format("{}[{}]", path, i)));
    }
    return out;
}

void append_json_string(std::string& out, const std::string& s)
{
    out += '"';
    for (char c : s) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
                } else {
                    out += c;
                }
        }
    }
    out += '"';
}

// A plugin section as compact JSON. Plain scalars that read as numbers, booleans or null keep
// that type (YAML's own rules); quoted scalars stay strings.
void to_json(const YAML::Node& n, std::string& out)
{
    switch (n.Type()) {
        case YAML::NodeType::Null:
        case YAML::NodeType::Undefined:
            out += "null";
            return;
        case YAML::NodeType::Scalar: {
            const std::string& s = n.Scalar();
            if (n.Tag() != "!") { // plain (unquoted) scalar
                long long i = 0;
                double d = 0;
                bool b = false;
                if (YAML::convert<long long>::decode(n, i)) {
                    out += std::to_string(i);
                    return;
                }
                if (YAML::convert<double>::decode(n, d) && s.find_first_of("0123456789") != std::string::npos) {
                    out += fmt::format("{}", d);
                    return;
                }
                if (YAML::convert<bool>::decode(n, b)) {
                    out += b ? "true" : "false";
                    return;
                }
                if (s == "~" || s == "null") {
                    out += "null";
                    return;
                }
            }
            append_json_string(out, s);
            return;
        }
        case YAML::NodeType::Sequence: {
            out += '[';
            for (std::size_t i = 0; i < n.size(); ++i) {
                if (i) {
                    out += ',';
                }
                to_json(n[i], out);
            }
            out += ']';
            return;
        }
        case YAML::NodeType::Map: {
            out += '{';
            bool first = true;
            for (const auto& kv : n) {
                if (!first) {
                    out += ',';
                }
                first = false;
                append_json_string(out, kv.first.as<std::string>());
                out += ':';
                to_json(kv.second, out);
            }
            out += '}';
            return;
        }
    }
}

std::string section_json(const YAML::Node& n, const std::string& path)
{
    if (!n || n.IsNull()) {
        return "{}";
    }
    if (!n.IsMap()) {
        fail(path, fmt::format("expected a map (the plugin's settings), got {}", show(n)));
    }
    std::string out;
    to_json(n, out);
    return out;
}

std::map<std::string, std::string> plugin_sections(const YAML::Node& n, const std::string& path)
{
    if (!n.IsMap()) {
        fail(path, fmt::format("expected a map of plugin names, got {}", show(n)));
    }
    std::map<std::string, std::string> out;
    for (const auto& kv : n) {
        auto name = kv.first.as<std::string>();
        out[name] = section_json(kv.second, join(path, name));
    }
    return out;
}

sdk::log_level as_level(const YAML::Node& n, const std::string& path)
{
    sdk::log_level l;
    auto text = as_string(n, path);
    if (!parse_log_level(text, l)) {
        fail(path, fmt::format("expected trace|debug|info|warn|error|critical|off, got '{}'", text));
    }
    return l;
}

// Applies "a.b[2].c=value" to the tree, creating maps on the way.
void apply_override(YAML::Node& root, const std::string& assignment)
{
    auto eq = assignment.find('=');
    if (eq == std::string::npos || eq == 0) {
        fail("--set", fmt::format("expected key=value, got '{}'", assignment));
    }
    std::string path = assignment.substr(0, eq);
    YAML::Node value = YAML::Load(assignment.substr(eq + 1));
    std::vector<std::string> parts;
    std::stringstream ss(path);
    for (std::string part; std::getline(ss, part, '.');) {
        parts.push_back(part);
    }
    // yaml-cpp nodes are handles: descend by rebinding copies of handles.
    std::vector<YAML::Node> chain{ root };
    for (std::size_t i = 0; i < parts.size(); ++i) {
        std::string key = parts[i];
        std::optional<std::size_t> index;
        if (auto lb = key.find('['); lb != std::string::npos && key.back() == ']') {
            index = std::stoul(key.substr(lb + 1, key.size() - lb - 2));
            key = key.substr(0, lb);
        }
        YAML::Node cur = chain.back();
        bool last = i + 1 == parts.size();
        if (!index) {
            if (last) {
                cur[key] = value;
            } else {
                if (!cur[key] || !cur[key].IsMap()) {
                    cur[key] = YAML::Node(YAML::NodeType::Map);
                }
                chain.push_back(cur[key]);
            }
            continue;
        }
        YAML::Node seq = cur[key];
        if (!seq.IsSequence() || *index >= seq.size()) {
            fail(path, fmt::format("--set: '{}' has no element {}", key, *index));
        }
        if (last) {
            seq[*index] = value;
        } else {
            chain.push_back(seq[*index]);
        }
    }
}

std::vector<user_config> convert_users(const YAML::Node& users)
{
    if (!users.IsSequence() || users.size() == 0) {
        fail("users", fmt::format("expected a non-empty list of users, got {}", show(users)));
    }
    std::vector<user_config> out;
    std::set<std::string> names;
    for (std::size_t i = 0; i < users.size(); ++i) {
        const auto path = fmt::format("users[{}]", i);
        const auto& u = users[i];
        only_keys(u, path, { "name", "password", "password_hash", "tags", "vhosts", "loopback_only" });
        user_config uc;
        if (!u["name"]) {
            fail(path + ".name", "missing");
        }
        uc.name = as_string(u["name"], path + ".name");
        if (uc.name.empty() || !names.insert(uc.name).second) {
            fail(path + ".name", fmt::format("'{}' is empty or a duplicate", uc.name));
        }
        if (u["password"] && u["password_hash"]) {
            fail(path, "give password or password_hash, not both");
        }
        if (auto n = u["password_hash"]) {
            uc.password_hash = as_string(n, path + ".password_hash");
            if (auto why = check_password_hash(uc.password_hash)) {
                fail(path + ".password_hash", *why);
            }
        } else if (auto p = u["password"]) {
            uc.password_hash = hash_password(as_string(p, path + ".password")); // kept only hashed
        } else {
            fail(path, "missing password or password_hash");
        }
        if (auto n = u["tags"]) {
            uc.tags = as_string_list(n, path + ".tags");
        }
        uc.vhosts = u["vhosts"] ? as_string_list(u["vhosts"], path + ".vhosts") : std::vector<std::string>{ "/" };
        if (auto n = u["loopback_only"]) {
            uc.loopback_only = as_bool(n, path + ".loopback_only");
        }
        out.push_back(std::move(uc));
    }
    return out;
}

broker_config convert(const YAML::Node& root)
{
    broker_config c;
    if (!root || root.IsNull()) {
        return c;
    }
    only_keys(root,
              "",
              { "shards",
                "data_dir",
                "shutdown_grace_seconds",
                "plugin_dirs",
                "ports_file",
                "log",
                "admin",
                "storage",
                "routing",
                "net",
                "listeners",
                "vhosts",
                "users" });
    if (auto n = root["shards"]) {
        c.shards = static_cast<unsigned>(as_int(n, "shards", 0, 255));
    }
    if (auto n = root["data_dir"]) {
        c.data_dir = as_string(n, "data_dir");
    }
    if (auto n = root["shutdown_grace_seconds"]) {
        c.shutdown_grace_seconds = static_cast<unsigned>(as_int(n, "shutdown_grace_seconds", 0, 3600));
    }
    if (auto n = root["plugin_dirs"]) {
        c.plugin_dirs = as_string_list(n, "plugin_dirs");
    }
    if (auto n = root["ports_file"]) {
        c.ports_file = as_string(n, "ports_file");
    }
    if (auto log = root["log"]) {
        only_keys(log, "log", { "level", "components" });
        if (auto n = log["level"]) {
            as_level(n, "log.level");
            c.log_level = n.Scalar();
        }
        if (auto comps = log["components"]; comps && !comps.IsMap()) {
            fail("log.components", fmt::format("expected a map of component: level, got {}", show(comps)));
        }
    }
    if (auto admin = root["admin"]) {
        only_keys(admin, "admin", { "enabled", "host", "port" });
        if (auto n = admin["enabled"]) {
            c.admin_enabled = as_bool(n, "admin.enabled");
        }
        if (auto n = admin["host"]) {
            c.admin_host = as_string(n, "admin.host");
        }
        if (auto n = admin["port"]) {
            c.admin_port = static_cast<std::uint16_t>(as_int(n, "admin.port", 0, 65535));
        }
    }
    if (auto net = root["net"]) {
        only_keys(net, "net", { "read_coalesce_us" });
        if (auto n = net["read_coalesce_us"]) {
            c.read_coalesce_us = as_int(n, "net.read_coalesce_us", 0, 100000);
        }
    }
    if (auto storage = root["storage"]) {
        only_keys(
          storage, "storage", { "default", "transient", "engines", "disk_free_limit_bytes", "compaction_interval_ms" });
        if (auto n = storage["compaction_interval_ms"]) {
            c.compaction_interval_ms = as_int(n, "storage.compaction_interval_ms", 100, 86400000);
        }
        if (auto n = storage["disk_free_limit_bytes"]) {
            c.disk_free_limit_bytes = static_cast<std::uint64_t>(
              as_int(n, "storage.disk_free_limit_bytes", 0, std::numeric_limits<std::int64_t>::max()));
        }
        if (auto n = storage["engines"]) {
            c.storage_engines = plugin_sections(n, "storage.engines");
        }
        if (auto n = storage["default"]) {
            c.default_storage = as_string(n, "storage.default");
        } else if (c.storage_engines.size() == 1) {
            c.default_storage = c.storage_engines.begin()->first; // the only engine there is
        }
        if (auto n = storage["transient"]) {
            c.transient_storage = as_string(n, "storage.transient");
        }
    }
    if (c.storage_engines.empty()) {
        c.storage_engines[c.default_storage] = "{}";
    }
    if (c.storage_engines.count(c.default_storage) == 0) {
        fail("storage.default", fmt::format("'{}' is not one of storage.engines", c.default_storage));
    }
    if (!c.transient_storage.empty() && c.storage_engines.count(c.transient_storage) == 0) {
        fail("storage.transient", fmt::format("'{}' is not one of storage.engines", c.transient_storage));
    }
    if (auto routing = root["routing"]) {
        only_keys(routing, "routing", { "types" });
        if (auto n = routing["types"]) {
            c.routing_types = plugin_sections(n, "routing.types");
        }
    } else {
        c.routing_types = { { "direct", "{}" }, { "fanout", "{}" }, { "topic", "{}" }, { "headers", "{}" } };
    }
    if (auto listeners = root["listeners"]) {
        if (!listeners.IsSequence()) {
            fail("listeners", fmt::format("expected a list, got {}", show(listeners)));
        }
        std::set<std::string> names;
        for (std::size_t i = 0; i < listeners.size(); ++i) {
            auto path = fmt::format("listeners[{}]", i);
            const auto& l = listeners[i];
            only_keys(l, path, { "name", "protocol", "host", "port", "config" });
            listener_config lc;
            if (!l["protocol"]) {
                fail(path + ".protocol", "missing (the protocol plugin's name)");
            }
            lc.protocol = as_string(l["protocol"], path + ".protocol");
            lc.name = l["name"] ? as_string(l["name"], path + ".name") : lc.protocol;
            if (auto n = l["host"]) {
                lc.host = as_string(n, path + ".host");
            }
            if (!l["port"]) {
                fail(path + ".port", "missing");
            }
            lc.port = static_cast<std::uint16_t>(as_int(l["port"], path + ".port", 0, 65535));
            lc.config_json = section_json(l["config"], path + ".config");
            if (!names.insert(lc.name).second) {
                fail(path + ".name", fmt::format("duplicate listener name '{}'", lc.name));
            }
            c.listeners.push_back(std::move(lc));
        }
    }
    if (auto n = root["vhosts"]) {
        c.vhosts = as_string_list(n, "vhosts");
    }
    if (auto users = root["users"]) {
        c.users = convert_users(users);
    }
    return c;
}

} // namespace

std::string embedded_default_config(const std::vector<std::string>& plugin_dirs)
{
    std::string yaml = R"(# Plexus embedded default configuration (docs/config.md)
data_dir: ./data
log: { level: info }
admin: { enabled: true, host: 127.0.0.1, port: 15672 }
storage:
  default: file
  transient: memory
  engines: { file: {}, memory: {}, rocksdb: {} }
routing:
  types: { direct: {}, fanout: {}, topic: {}, headers: {} }
)";
    // Every gateway that is built, on its standard port; STOMP and MQTT also over WebSockets
    // (path /ws, for browsers) on the ports RabbitMQ's Web-STOMP and Web-MQTT plugins use.
    struct gateway
    {
        const char* name;
        const char* protocol;
        int port;
        const char* config; // the listener's config section, YAML flow style; "" for none
    };
    static constexpr gateway gateways[] = {
        { "amqp091", "amqp091", 5672, "" },
        { "mqtt", "mqtt", 1883, "" },
        { "stomp", "stomp", 61613, "" },
        { "kafka", "kafka", 9092, "" },
        { "web-stomp", "stomp", 15674, "{ transport: websocket }" },
        { "web-mqtt", "mqtt", 15675, "{ transport: websocket }" },
    };
    std::string listeners;
    for (const auto& g : gateways) {
        for (const auto& dir : plugin_dirs) {
            std::error_code ec;
            if (std::filesystem::exists(
                  std::filesystem::path(dir) / fmt::format("libplexus_protocol_{}.so", g.protocol), ec)) {
                listeners += fmt::format("  - {{ name: {}, protocol: {}, host: 0.0.0.0, port: {}{}{} }}\n",
                                         g.name,
                                         g.protocol,
                                         g.port,
                                         *g.config ? ", config: " : "",
                                         g.config);
                break;
            }
        }
    }
    if (!listeners.empty()) {
        yaml += "listeners:\n" + listeners;
    }
    return yaml;
}

sdk::result<broker_config> parse_config(std::string_view yaml,
                                        std::string_view origin,
                                        const std::vector<std::string>& overrides)
{
    try {
        YAML::Node root = YAML::Load(std::string(yaml));
        if (!root.IsNull() && !root.IsMap()) {
            return sdk::status(errc::invalid_argument, fmt::format("{}: expected a map at the top level", origin));
        }
        if (root.IsNull()) {
            root = YAML::Node(YAML::NodeType::Map);
        }
        for (const auto& o : overrides) {
            apply_override(root, o);
        }
        auto config = convert(root);
        if (auto comps = root["log"] ? root["log"]["components"] : YAML::Node()) {
            for (const auto& kv : comps) {
                auto name = kv.first.as<std::string>();
                as_level(kv.second, "log.components." + name);
                config.log_components[name] = kv.second.Scalar();
            }
        }
        return config;
    } catch (const config_error& e) {
        return sdk::status(errc::invalid_argument,
                           e.path.empty() ? fmt::format("{}: {}", origin, e.what)
                                          : fmt::format("{}: {}: {}", origin, e.path, e.what));
    } catch (const YAML::Exception& e) {
        return sdk::status(errc::invalid_argument, fmt::format("{}: line {}: {}", origin, e.mark.line + 1, e.msg));
    } catch (const std::exception& e) {
        return sdk::status(errc::invalid_argument, fmt::format("{}: {}", origin, e.what()));
    }
}

sdk::result<broker_config> load_config(const config_source& source)
{
    if (source.file.empty()) {
        return parse_config(embedded_default_config(source.default_plugin_dirs), "embedded default", source.overrides);
    }
    std::ifstream in(source.file);
    if (!in) {
        return sdk::status(errc::not_found, fmt::format("{}: cannot read the file", source.file));
    }
    std::stringstream text;
    text << in.rdbuf();
    return parse_config(text.str(), source.file, source.overrides);
}

} // namespace plexus::kernel
