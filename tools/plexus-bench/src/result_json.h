// The JSON line a run prints on stdout: one object, keys stable (the harness reads them).
#pragma once

#include "options.h"
#include "run.h"

#include <string>

namespace plexus::bench {

std::string result_json(const options& o, const run_result& r);

} // namespace plexus::bench
