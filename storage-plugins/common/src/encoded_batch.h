// What the engines share about encoded record batches (sdk::encoded_records, ADR 0019): they
// store the bytes as the protocol sent them, except for the offset slots, which get the
// offsets the log assigned; and a read joins the stored batches it returns into one.
#pragma once

#include "plexus/sdk/message.h"
#include "plexus/sdk/status.h"

#include <string>

namespace plexus::storage {

/// invalid_argument when the batch cannot be stored: no records, no format name, a format
/// name longer than 255 bytes, or an offset slot outside the bytes or past the last record.
sdk::status check_encoded(const sdk::encoded_records& e) noexcept;

/// Appends the bytes of `e` to `out` with every offset slot set for a batch that begins at
/// `base`. `e` must have passed check_encoded().
void append_rebased(const sdk::encoded_records& e, sdk::offset base, std::string& out);

/// The bytes of `e` with its offset slots set for `base`, in one new buffer.
sdk::buffer_chain rebased(const sdk::encoded_records& e, sdk::offset base);

/// Adds the stored batch `next`, which follows `into` in the log, to `into` (the bytes are
/// shared). False, leaving `into` as it was, when `next` is of another format.
bool join_encoded(sdk::encoded_records& into, const sdk::encoded_records& next);

} // namespace plexus::storage
