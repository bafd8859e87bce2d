// admin_api over the broker core: each call runs as a control operation on the control shard
// (or through shard 0's facade for publish/get) and the calling thread waits for the answer.
#pragma once

#include "kernel/src/admin/admin_api.h"
#include "kernel/src/server/broker_core.h"

#include <chrono>
#include <functional>
#include <vector>

namespace plexus::kernel {

class admin_service final : public admin_api
{
  public:
    /// `facade`: a facade to publish and get through; `listeners`: bound ports for status().
    admin_service(broker_core& core,
                  sdk::kernel& facade,
                  std::function<std::vector<std::pair<std::string, std::uint16_t>>()> listeners);

    broker_status status() override;
    std::vector<std::string> list_vhosts() override;
    sdk::status declare_vhost(const std::string& name) override;
    sdk::status delete_vhost(const std::string& name) override;
    sdk::result<std::vector<exchange_summary>> list_exchanges(const std::string& vhost) override;
    sdk::result<std::vector<queue_summary>> list_queues(const std::string& vhost) override;
    sdk::result<std::vector<stream_summary>> list_streams(const std::string& vhost) override;
    sdk::result<std::vector<binding_summary>> list_bindings(const std::string& vhost) override;
    sdk::status declare_exchange(const sdk::exchange_spec& spec) override;
    sdk::status delete_exchange(const std::string& vhost, const std::string& name) override;
    sdk::result<sdk::queue_info> declare_queue(const sdk::queue_spec& spec) override;
    sdk::result<std::uint64_t> delete_queue(const std::string& vhost, const std::string& name) override;
    sdk::result<std::uint64_t> purge_queue(const std::string& vhost, const std::string& name) override;
    sdk::result<sdk::stream_info> declare_stream(const sdk::stream_spec& spec) override;
    sdk::status delete_stream(const std::string& vhost, const std::string& name) override;
    sdk::status bind(const sdk::binding_spec& spec) override;
    sdk::status unbind(const sdk::binding_spec& spec) override;
    sdk::result<sdk::publish_ack> publish(const std::string& vhost,
                                          const std::string& exchange,
                                          const std::string& routing_key,
                                          const std::string& body,
                                          const sdk::headers& headers,
                                          const sdk::message_properties& props) override;
    sdk::result<std::vector<sdk::fetched_message>> get(const std::string& vhost,
                                                       const std::string& queue,
                                                       std::uint32_t count,
                                                       bool ack) override;
    std::string metrics_text() override;

  private:
    /// Runs a control coroutine and waits for its value.
    template<class T>
    T wait(std::function<awaitable<T>()> op);

    broker_core& _core;
    sdk::kernel& _facade;
    std::function<std::vector<std::pair<std::string, std::uint16_t>>()> _listeners;
    std::chrono::steady_clock::time_point _started = std::chrono::steady_clock::now();
};

} // namespace plexus::kernel
