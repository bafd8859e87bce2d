#include "support/storage_doubles.h"

namespace plexus::test {

// ---- capturing_logger ----------------------------------------------------------------------

void capturing_logger::write(sdk::log_level level, std::string_view text) noexcept
{
    try {
        std::lock_guard lock(_mutex);
        _lines.emplace_back(text);
    } catch (...) {
        // a test logger that cannot allocate drops the line
    }
}

std::vector<std::string> capturing_logger::lines() const
{
    std::lock_guard lock(_mutex);
    return _lines;
}

} // namespace plexus::test
