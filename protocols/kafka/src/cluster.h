// What this broker says the cluster is: one node (0) that leads every partition, coordinates
// every group and is the controller, in a cluster named "plexus".
#pragma once

#include <cstdint>
#include <string_view>

namespace plexus::protocol::kafka {

constexpr std::int32_t broker_node_id = 0;
constexpr std::string_view cluster_id = "plexus";

} // namespace plexus::protocol::kafka
