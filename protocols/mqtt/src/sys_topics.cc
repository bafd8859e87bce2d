#include "sys_topics.h"

#include "message_mapping.h"

#include <fmt/format.h>

namespace plexus::protocol::mqtt {

std::string_view exchange_for(std::string_view filter) noexcept
{
    const bool sys = filter == "$SYS" || filter.starts_with("$SYS/");
    return sys ? sys_exchange : topic_exchange;
}

std::vector<std::pair<std::string, std::string>> sys_values(const sys_counters& c,
                                                            std::chrono::seconds uptime,
                                                            std::size_t retained_messages,
                                                            std::string_view version)
{
    const auto load = [](const auto& a) { return fmt::format("{}", a.load(std::memory_order_relaxed)); };
    return {
        { "$SYS/broker/version", fmt::format("plexus {}", version) },
        { "$SYS/broker/uptime", fmt::format("{} seconds", uptime.count()) },
        { "$SYS/broker/clients/connected", load(c.clients_connected) },
        { "$SYS/broker/messages/received", load(c.packets_received) },
        { "$SYS/broker/messages/sent", load(c.packets_sent) },
        { "$SYS/broker/publish/messages/received", load(c.publishes_received) },
        { "$SYS/broker/publish/messages/sent", load(c.publishes_sent) },
        { "$SYS/broker/retained messages/count", fmt::format("{}", retained_messages) },
    };
}

sys_publisher::sys_publisher(sys_counters& counters,
                             retained_store& retained,
                             std::chrono::seconds interval,
                             std::function<std::set<std::string>()> vhosts)
  : _counters(counters)
  , _retained(retained)
  , _interval(interval)
  , _vhosts_of_listeners(std::move(vhosts))
{
}

void sys_publisher::start(sdk::kernel& k, sdk::executor& shard)
{
    if (_interval.count() == 0 || _kernel != nullptr) {
        return;
    }
    _kernel = &k;
    _shard = &shard;
    const auto vhosts = _vhosts_of_listeners();
    auto left = std::make_shared<std::size_t>(vhosts.size());
    for (const auto& vhost : vhosts) {
        sdk::exchange_spec spec;
        spec.vhost = vhost;
        spec.name = std::string(sys_exchange);
        spec.type = "topic";
        spec.durable = true; // persistent sessions' $SYS bindings come back after a restart
        k.declare_exchange(spec, [this, alive = _alive, &shard, vhost, left](sdk::status st) {
            shard.post([this, alive, vhost, left, st] {
                if (!*alive) {
                    return;
                }
                if (st.ok()) {
                    _vhosts.insert(vhost);
                } else {
                    PLEXUS_LOG(
                      _kernel->log("protocol.mqtt"), warn, "no $SYS topics in vhost '{}': {}", vhost, st.to_string());
                }
                if (--*left == 0 && !_vhosts.empty()) {
                    tick();
                }
            });
        });
    }
}

void sys_publisher::tick()
{
    const auto uptime = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - _started);
    const auto now = sdk::timestamp_ms(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count());
    // The counters are the broker's (every listener's); only the retained count is per vhost.
    for (const auto& vhost : _vhosts) {
        for (auto& [topic, value] :
             sys_values(_counters, uptime, _retained.count(vhost), PLEXUS_MQTT_GATEWAY_VERSION)) {
            publish_packet p;
            p.topic = topic;
            p.retain = true;
            p.payload = sdk::buffer_chain::copy_of(value);
            auto msg = to_message(p, {}, now, sys_exchange);
            _retained.set(vhost, topic, msg, false);
            sdk::publish_request req;
            req.vhost = vhost;
            req.msg = std::move(msg);
            _kernel->publish(std::move(req), [](sdk::result<sdk::publish_ack>) {});
        }
    }
    _timer = _shard->post_after(_interval, [this, alive = _alive] {
        if (*alive) {
            tick();
        }
    });
}

} // namespace plexus::protocol::mqtt
