#include "status_mapping.h"

#include <string>

namespace plexus::storage::rocks {

sdk::errc to_errc(const rocksdb::Status& s) noexcept
{
    if (s.ok()) {
        return sdk::errc::ok;
    }
    if (s.IsNotFound()) {
        return sdk::errc::not_found;
    }
    // NoSpace is a sub-code of IOError: test it first. RocksDB stops writes after it and
    // resumes by itself once its SstFileManager sees free space again.
    if (s.IsNoSpace()) {
        return sdk::errc::resource_exhausted;
    }
    if (s.IsCorruption()) {
        return sdk::errc::corruption;
    }
    if (s.IsIOError()) {
        return sdk::errc::io_error;
    }
    return sdk::errc::internal;
}

sdk::status to_status(const rocksdb::Status& s, std::string_view what) noexcept
{
    const sdk::errc code = to_errc(s);
    if (code == sdk::errc::ok) {
        return {};
    }
    try {
        std::string message(what);
        message += ": ";
        message += s.ToString();
        return sdk::status(code, message);
    } catch (...) {
        // No memory for the message: the code still says what happened.
        return sdk::status(code, {});
    }
}

} // namespace plexus::storage::rocks
