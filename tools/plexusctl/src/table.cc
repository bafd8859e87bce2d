#include "table.h"

#include <algorithm>

namespace plexus::ctl {

std::string render_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows)
{
    std::vector<std::size_t> width(header.size());
    for (std::size_t c = 0; c < header.size(); ++c) {
        width[c] = header[c].size();
        for (const auto& r : rows) {
            width[c] = std::max(width[c], r[c].size());
        }
    }
    std::string out;
    auto line = [&](const std::vector<std::string>& cells) {
        for (std::size_t c = 0; c < cells.size(); ++c) {
            out += cells[c];
            if (c + 1 < cells.size()) {
                out += std::string(width[c] - cells[c].size() + 2, ' ');
            }
        }
        out += '\n';
    };
    line(header);
    for (const auto& r : rows) {
        line(r);
    }
    return out;
}

} // namespace plexus::ctl
