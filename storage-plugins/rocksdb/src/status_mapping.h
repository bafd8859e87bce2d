// The one place a rocksdb::Status becomes an sdk::status, so every caller maps alike:
// NotFound → not_found, IOError(NoSpace) → resource_exhausted, Corruption → corruption, other
// IOErrors → io_error, anything else → internal.
#pragma once

#include "plexus/sdk/status.h"

#include <rocksdb/status.h>

#include <string_view>

namespace plexus::storage::rocks {

/// The sdk code for a failed RocksDB status (ok for an ok one).
sdk::errc to_errc(const rocksdb::Status& s) noexcept;

/// `what` says what was being done, e.g. "appending to log 'q/v/a'"; RocksDB's own text
/// follows it.
sdk::status to_status(const rocksdb::Status& s, std::string_view what) noexcept;

} // namespace plexus::storage::rocks
