// The live progress line on stderr (rate, elapsed, remaining), redrawn in place a few times a
// second; silent unless stderr is a terminal or --progress always.
#pragma once

#include "options.h"

#include <cstdint>

namespace plexus::bench {

class progress_line
{
  public:
    explicit progress_line(options::progress_mode mode);
    void update(double elapsed_s, std::uint64_t sent, std::uint64_t received, const options& o);
    /// Ends the line (a newline after the last redraw).
    void finish();

  private:
    bool _on;
    bool _drawn = false;
    double _last_draw_s = -1;
    double _last_s = 0;
    std::uint64_t _last_sent = 0;
    std::uint64_t _last_received = 0;
    double _send_rate = 0;
    double _receive_rate = 0;
};

} // namespace plexus::bench
