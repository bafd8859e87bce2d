// One shard's sdk::kernel: what protocol plugins call. Data-plane verbs (publish, subscribe,
// ack, fetch) read this shard's replica and hop straight to the owner shard of the queue or
// partition; control verbs (declare, bind, delete) queue a control operation on shard 0.
// Every callback is posted back to this shard.
#pragma once

#include "kernel/src/server/broker_core.h"
#include "plexus/sdk/kernel.h"

#include <map>

namespace plexus::kernel {

class kernel_facade final : public sdk::kernel
{
  public:
    kernel_facade(broker_core& core, unsigned shard);
    ~kernel_facade();
    kernel_facade(const kernel_facade&) = delete;
    kernel_facade& operator=(const kernel_facade&) = delete;

    void declare_exchange(const sdk::exchange_spec& spec, sdk::callback<void(sdk::status)> done) noexcept override;
    void delete_exchange(std::string_view vhost,
                         std::string_view name,
                         bool if_unused,
                         sdk::callback<void(sdk::status)> done) noexcept override;
    void declare_queue(const sdk::queue_spec& spec,
                       sdk::callback<void(sdk::result<sdk::queue_info>)> done) noexcept override;
    void delete_queue(std::string_view vhost,
                      std::string_view name,
                      bool if_unused,
                      bool if_empty,
                      sdk::callback<void(sdk::result<std::uint64_t>)> done) noexcept override;
    void purge_queue(std::string_view vhost,
                     std::string_view name,
                     sdk::callback<void(sdk::result<std::uint64_t>)> done) noexcept override;
    void declare_stream(const sdk::stream_spec& spec,
                        sdk::callback<void(sdk::result<sdk::stream_info>)> done) noexcept override;
    void delete_stream(std::string_view vhost,
                       std::string_view name,
                       sdk::callback<void(sdk::status)> done) noexcept override;
    void set_stream_config(std::string_view vhost,
                           std::string_view name,
                           const sdk::stream_config& config,
                           sdk::callback<void(sdk::result<sdk::stream_info>)> done) noexcept override;
    void add_stream_partitions(std::string_view vhost,
                               std::string_view name,
                               std::int32_t partitions,
                               sdk::callback<void(sdk::result<sdk::stream_info>)> done) noexcept override;
    void bind(const sdk::binding_spec& spec, sdk::callback<void(sdk::status)> done) noexcept override;
    void unbind(const sdk::binding_spec& spec, sdk::callback<void(sdk::status)> done) noexcept override;

    void publish(sdk::publish_request request,
                 sdk::callback<void(sdk::result<sdk::publish_ack>)> done) noexcept override;
    void subscribe(const sdk::subscribe_request& request,
                   sdk::delivery_sink& sink,
                   sdk::callback<void(sdk::result<std::unique_ptr<sdk::subscription>>)> done) noexcept override;
    void get(std::string_view vhost,
             std::string_view queue,
             bool auto_ack,
             sdk::callback<void(sdk::result<std::optional<sdk::fetched_message>>)> done) noexcept override;
    void settle(std::string_view vhost,
                std::string_view queue,
                std::uint64_t tag,
                sdk::settlement outcome) noexcept override;

    void append(std::string_view vhost,
                std::string_view stream,
                sdk::partition_id partition,
                sdk::record_batch batch,
                sdk::ack_level level,
                sdk::callback<void(sdk::result<sdk::offset_range>)> done) noexcept override;
    void fetch(std::string_view vhost,
               std::string_view stream,
               sdk::partition_id partition,
               sdk::offset from,
               std::size_t max_bytes,
               sdk::batch_form form,
               sdk::callback<void(sdk::result<sdk::record_batch>)> done) noexcept override;
    void stream_offsets(std::string_view vhost,
                        std::string_view stream,
                        sdk::partition_id partition,
                        sdk::callback<void(sdk::result<sdk::log_offsets>)> done) noexcept override;
    void wait_for_records(std::string_view vhost,
                          std::string_view stream,
                          sdk::partition_id partition,
                          sdk::offset from,
                          std::chrono::milliseconds max_wait,
                          sdk::callback<void(sdk::result<sdk::log_offsets>)> done) noexcept override;
    void offset_for_timestamp(std::string_view vhost,
                              std::string_view stream,
                              sdk::partition_id partition,
                              sdk::timestamp_ms ts,
                              sdk::callback<void(sdk::result<sdk::offset>)> done) noexcept override;
    void commit_offset(std::string_view vhost,
                       std::string_view group,
                       std::string_view stream,
                       sdk::partition_id partition,
                       sdk::offset committed,
                       sdk::callback<void(sdk::status)> done) noexcept override;
    void committed_offset(std::string_view vhost,
                          std::string_view group,
                          std::string_view stream,
                          sdk::partition_id partition,
                          sdk::callback<void(sdk::result<std::optional<sdk::offset>>)> done) noexcept override;

    void delete_group_offsets(std::string_view vhost,
                              std::string_view group,
                              sdk::callback<void(sdk::result<std::uint64_t>)> done) noexcept override;

    sdk::result<sdk::user_identity> authenticate(std::string_view user,
                                                 std::string_view password,
                                                 const sdk::peer_info& peer) noexcept override;
    sdk::status check_vhost_access(std::string_view user, std::string_view vhost) noexcept override;

    sdk::resource_alarms alarms() const noexcept override { return _alarms; }
    std::unique_ptr<sdk::alarm_watch> watch_alarms(sdk::callback<void(sdk::resource_alarms)> changed) noexcept override;

    sdk::executor& shard() noexcept override;
    std::uint64_t next_connection_id() noexcept override;
    void release_connection(std::uint64_t connection) noexcept override;
    sdk::logger& log(std::string_view component) noexcept override;
    sdk::metrics_scope& metrics(std::string_view prefix) noexcept override;
    sdk::kv_store& plugin_store(std::string_view space) noexcept override;

  private:
    class watch_handle;
    /// On this shard: the alarms changed; every watcher hears of it.
    void alarms_changed(sdk::resource_alarms now);
    /// Hands a publish with x-delay to its x-delayed-message exchange's store.
    void hold_delayed(sdk::destination_id exchange,
                      sdk::publish_request request,
                      std::int64_t delay_ms,
                      sdk::callback<void(sdk::result<sdk::publish_ack>)> done);
    /// What a publish or append gets while the disk alarm is raised.
    sdk::status disk_alarm_refusal() const;
    /// Runs `op` on the owner shard of a stream partition, or fails `fail` with not_found.
    template<class T, class Op>
    void on_partition(std::string_view vhost,
                      std::string_view stream,
                      sdk::partition_id partition,
                      sdk::callback<void(sdk::result<T>)> done,
                      Op op);
    /// Posts `done(value)` to this shard.
    template<class T>
    void reply(sdk::callback<void(T)> done, T value);
    /// Queues a control operation and posts its result back here.
    template<class T, class Op>
    void control(sdk::callback<void(T)> done, Op op);
    sdk::destination_id pick_partition(const std::vector<sdk::destination_id>& partitions,
                                       const sdk::message& msg) const noexcept;
    std::optional<sdk::destination_id> find_partition(std::string_view vhost,
                                                      std::string_view stream,
                                                      sdk::partition_id partition) const;

    broker_core& _core;
    unsigned _shard;
    shard_state& _state;
    shard_executor& _exec;
    sdk::counter& _published;
    sdk::counter& _unroutable;
    sdk::resource_alarms _alarms;
    std::map<std::uint64_t, sdk::callback<void(sdk::resource_alarms)>> _alarm_watchers;
    std::uint64_t _next_alarm_watch = 1;
};

} // namespace plexus::kernel
