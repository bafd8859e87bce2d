// The decoder of stored Kafka batches ("kafka.v2"), which the plugin registers with the
// kernel (sdk::record_format, ADR 0019): an AMQP stream consumer, or a topic forwarding to
// an exchange, gets the records of batches that Produce stored as the client sent them; and a
// compaction (ADR 0020) reads their keys and has the records it keeps re-encoded.
#pragma once

#include "plexus/sdk/message.h"

#include <vector>

namespace plexus::protocol::kafka {

class kafka_record_format final : public sdk::record_format
{
  public:
    std::string_view name() const noexcept override;
    sdk::result<std::vector<sdk::message_ptr>> decode(const sdk::buffer_chain& bytes,
                                                      std::string_view routing_key) const noexcept override;
    sdk::result<std::vector<record_key>> keys(const sdk::buffer_chain& bytes) const noexcept override;
    sdk::result<std::vector<sdk::record_batch>> retain(const sdk::buffer_chain& bytes,
                                                       sdk::offset base,
                                                       const std::vector<bool>& keep) const noexcept override;
};

/// What the plugin's factory reports (protocol_factory::record_formats()).
std::vector<const sdk::record_format*> kafka_record_formats() noexcept;

} // namespace plexus::protocol::kafka
