// Reads records back from segments, on a blocking-pool thread: the shard captures which
// segments and byte ranges hold what it wants (segment_span), the job preads them in chunks,
// checks every frame's CRC and decodes the records, whose bodies share the chunk's buffer.
#pragma once

#include "segment.h"

#include "plexus/sdk/message.h"
#include "plexus/sdk/result.h"

#include <memory>
#include <vector>

namespace plexus::storage::file {

/// Bytes [begin, end) of one segment, captured on the owner shard: frames there are complete.
struct segment_span
{
    std::shared_ptr<const segment> seg;
    std::uint64_t begin = 0;
    std::uint64_t end = 0;
};

/// Records from the first frame holding an offset >= from, in order, until their
/// message::size_bytes() would pass max_bytes (at least one record). A frame that fails its
/// CRC is never served: the read fails with corruption naming the segment and position.
sdk::result<sdk::record_batch> read_records(const std::vector<segment_span>& spans,
                                            sdk::offset from,
                                            std::size_t max_bytes);

/// The first offset >= from whose record timestamp is >= ts, or nullopt when none is.
sdk::result<std::optional<sdk::offset>> find_timestamp(const std::vector<segment_span>& spans,
                                                       std::int64_t ts,
                                                       sdk::offset from);

} // namespace plexus::storage::file
