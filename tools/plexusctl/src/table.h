// Plain aligned tables for people (plexusctl without --json).
#pragma once

#include <string>
#include <vector>

namespace plexus::ctl {

std::string render_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows);

} // namespace plexus::ctl
