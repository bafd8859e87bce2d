// The record formats the loaded protocol plugins decode (sdk::record_format, ADR 0019), by
// name: the kernel turns encoded batches into messages with them for the readers that need
// messages (a stream consumer, a stream forwarding to an exchange, a fetch of messages).
//
// Threading: filled once before the shards start, then only read.
#pragma once

#include "plexus/sdk/message.h"

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace plexus::kernel {

class record_format_set
{
  public:
    record_format_set() = default;
    explicit record_format_set(const std::vector<const sdk::record_format*>& formats);

    /// nullptr when no loaded plugin decodes `name`.
    const sdk::record_format* find(std::string_view name) const noexcept;

    /// The messages of `e`, with `routing_key` (the stream's name) on each. not_supported when
    /// no loaded plugin decodes its format; corruption when the format's decoder refuses the
    /// bytes or finds another number of records than the batch says.
    sdk::result<std::vector<sdk::message_ptr>> decode(const sdk::encoded_records& e,
                                                      std::string_view routing_key) const noexcept;

    /// The format's keys of `e` (compaction), checked as decode() checks.
    sdk::result<std::vector<sdk::record_format::record_key>> keys(const sdk::encoded_records& e) const noexcept;
    /// The records of `e` (at `base`) that `keep` marks, re-encoded by the format.
    sdk::result<std::vector<sdk::record_batch>> retain(const sdk::encoded_records& e,
                                                       sdk::offset base,
                                                       const std::vector<bool>& keep) const noexcept;

    /// `batch` as messages from `from` on: an encoded batch is decoded and its records below
    /// `from` left out; a batch of messages is returned as it is.
    sdk::result<sdk::record_batch> as_messages(sdk::record_batch batch,
                                               sdk::offset from,
                                               std::string_view routing_key) const noexcept;

  private:
    std::map<std::string, const sdk::record_format*, std::less<>> _formats;
};

} // namespace plexus::kernel
