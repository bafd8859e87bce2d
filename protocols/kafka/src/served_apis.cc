#include "served_apis.h"

#include "generated/alter_configs.h"
#include "generated/api_versions.h"
#include "generated/create_partitions.h"
#include "generated/create_topics.h"
#include "generated/delete_groups.h"
#include "generated/delete_topics.h"
#include "generated/describe_cluster.h"
#include "generated/describe_configs.h"
#include "generated/describe_groups.h"
#include "generated/fetch.h"
#include "generated/find_coordinator.h"
#include "generated/heartbeat.h"
#include "generated/incremental_alter_configs.h"
#include "generated/init_producer_id.h"
#include "generated/join_group.h"
#include "generated/leave_group.h"
#include "generated/list_groups.h"
#include "generated/offset_commit.h"
#include "generated/offset_fetch.h"
#include "generated/sync_group.h"
#include "generated/list_offsets.h"
#include "generated/metadata.h"
#include "generated/produce.h"
#include "generated/sasl_authenticate.h"
#include "generated/sasl_handshake.h"

#include <array>

namespace plexus::protocol::kafka {
namespace {

template<class Request>
constexpr served_api entry(std::string_view name)
{
    return { Request::kafka_api_key, name, Request::lowest_version, Request::highest_version, &Request::flexible };
}

constexpr std::array apis{
    entry<generated::produce_request>("Produce"),                                   // 0
    entry<generated::fetch_request>("Fetch"),                                       // 1
    entry<generated::list_offsets_request>("ListOffsets"),                          // 2
    entry<generated::metadata_request>("Metadata"),                                 // 3
    entry<generated::offset_commit_request>("OffsetCommit"),                        // 8
    entry<generated::offset_fetch_request>("OffsetFetch"),                          // 9
    entry<generated::find_coordinator_request>("FindCoordinator"),                  // 10
    entry<generated::join_group_request>("JoinGroup"),                              // 11
    entry<generated::heartbeat_request>("Heartbeat"),                               // 12
    entry<generated::leave_group_request>("LeaveGroup"),                            // 13
    entry<generated::sync_group_request>("SyncGroup"),                              // 14
    entry<generated::describe_groups_request>("DescribeGroups"),                    // 15
    entry<generated::list_groups_request>("ListGroups"),                            // 16
    entry<generated::sasl_handshake_request>("SaslHandshake"),                      // 17
    entry<generated::api_versions_request>("ApiVersions"),                          // 18
    entry<generated::create_topics_request>("CreateTopics"),                        // 19
    entry<generated::delete_topics_request>("DeleteTopics"),                        // 20
    entry<generated::init_producer_id_request>("InitProducerId"),                   // 22
    entry<generated::describe_configs_request>("DescribeConfigs"),                  // 32
    entry<generated::alter_configs_request>("AlterConfigs"),                        // 33
    entry<generated::sasl_authenticate_request>("SaslAuthenticate"),                // 36
    entry<generated::create_partitions_request>("CreatePartitions"),                // 37
    entry<generated::delete_groups_request>("DeleteGroups"),                        // 42
    entry<generated::incremental_alter_configs_request>("IncrementalAlterConfigs"), // 44
    entry<generated::describe_cluster_request>("DescribeCluster"),                  // 60
};

} // namespace

std::span<const served_api> served_apis() noexcept
{
    return apis;
}

const served_api* find_served_api(std::int16_t key) noexcept
{
    for (const auto& a : apis) {
        if (a.key == key) {
            return &a;
        }
    }
    return nullptr;
}

} // namespace plexus::protocol::kafka
