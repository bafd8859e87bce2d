// Where a queue's priority lanes live in its storage engine: one log and (for a durable queue)
// one cursor key per lane. Creation, removal and the sweep of stray logs all ask here, so they
// agree on the set.
//
// Lane 0 keeps the names a queue had before priorities existed ("q/<vhost>/<name>" and
// definition_keys::queue_cursor), so what such a queue stored stays readable. Lanes above 0
// start with "qp/<lane>/", which no lane 0 name can (those have '/' second), so two queues'
// lanes never share a log.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace plexus::kernel {

/// The log of each lane 0..max_priority, lowest first.
std::vector<std::string> queue_log_names(std::string_view vhost, std::string_view name, std::uint8_t max_priority);
/// The cursor key of each lane 0..max_priority, lowest first.
std::vector<std::string> queue_cursor_keys(std::string_view vhost, std::string_view name, std::uint8_t max_priority);
/// True for a log name that belongs to some queue's lane.
bool is_queue_log_name(std::string_view log_name) noexcept;

} // namespace plexus::kernel
