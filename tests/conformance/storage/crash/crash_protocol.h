// What the storage crash test's child and parent agree on: the record the child appends at
// each offset, and the lines it reports on stdout.
//
// A record is a pure function of its offset, so the parent can check every record it reads
// back, confirmed or not, without being told what was written. Bodies vary in length (a few
// bytes to tens of KiB, so that some frames span pages and a kill can tear them), in
// fragments, and hold every byte value behind a readable "rec-<offset>-" prefix.
//
// Lines (one write(2) each, shorter than PIPE_BUF, so a kill never tears one):
//   opened <next>                       the log is open; the next append gets <next>
//   confirmed <first> <last> <committed> flush() completed with <committed> after the
//                                        records <first>..<last> were appended
#pragma once

#include "plexus/sdk/message.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace plexus::test::storage::crash {

/// The record the child appends at `o`.
sdk::message_ptr record_at(sdk::offset o);
/// Empty when `m` is exactly record_at(o); otherwise what differs, for a failure message.
std::string check_record(sdk::offset o, const sdk::message& m);

struct report
{
    enum class kind
    {
        opened,
        confirmed,
    };
    kind what = kind::opened;
    sdk::offset first{ 0 };     ///< opened: next; confirmed: the first record of the range
    sdk::offset last{ 0 };      ///< confirmed: the last record of the range
    sdk::offset committed{ 0 }; ///< confirmed: what flush() completed with
};

/// The line, '\n' included.
std::string opened_line(sdk::offset next);
std::string confirmed_line(sdk::offset first, sdk::offset last, sdk::offset committed);
/// The report a line (without its '\n') holds; nullopt when it is not one.
std::optional<report> parse_report(std::string_view line);

} // namespace plexus::test::storage::crash
