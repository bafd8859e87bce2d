// Drops a directory's files from the page cache (after writing back what is dirty), so that a
// recovery measured "cold" reads the disk instead of memory. posix_fadvise(DONTNEED) touches
// only these files, unlike /proc/sys/vm/drop_caches, which needs root and would slow whatever
// else runs on the machine.
#pragma once

#include "plexus/sdk/status.h"

#include <filesystem>

namespace plexus::bench {

sdk::status evict_from_page_cache(const std::filesystem::path& dir);

} // namespace plexus::bench
