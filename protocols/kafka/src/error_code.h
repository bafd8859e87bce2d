// Kafka's error codes (the protocol guide's table) that the gateway answers with, and the one
// place SDK errors become them.
#pragma once

#include "plexus/sdk/status.h"

#include <cstdint>

namespace plexus::protocol::kafka {

enum class error_code : std::int16_t
{
    unknown_server_error = -1,
    none = 0,
    offset_out_of_range = 1,
    corrupt_message = 2,
    unknown_topic_or_partition = 3,
    request_timed_out = 7,
    message_too_large = 10,
    coordinator_not_available = 15,
    invalid_topic_exception = 17,
    invalid_required_acks = 21,
    illegal_generation = 22,
    inconsistent_group_protocol = 23,
    invalid_group_id = 24,
    unknown_member_id = 25,
    invalid_session_timeout = 26,
    rebalance_in_progress = 27,
    topic_authorization_failed = 29,
    unsupported_sasl_mechanism = 33,
    illegal_sasl_state = 34,
    unsupported_version = 35,
    topic_already_exists = 36,
    invalid_partitions = 37,
    invalid_replication_factor = 38,
    invalid_replica_assignment = 39,
    invalid_config = 40,
    invalid_request = 42,
    out_of_order_sequence_number = 45,
    duplicate_sequence_number = 46,
    invalid_producer_epoch = 47,
    unsupported_for_message_format = 43,
    kafka_storage_error = 56,
    sasl_authentication_failed = 58,
    non_empty_group = 68,
    group_id_not_found = 69,
    unsupported_compression_type = 76,
    invalid_record = 87,
    unsupported_endpoint_type = 119,
};

constexpr std::int16_t wire(error_code e) noexcept
{
    return static_cast<std::int16_t>(e);
}

/// The Kafka error a client should see for a failed kernel call on a topic partition.
error_code to_error_code(const sdk::status& st) noexcept;

} // namespace plexus::protocol::kafka
