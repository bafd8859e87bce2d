// plexus-bench: one load-generating run against a broker through a protocol driver built on
// that protocol's real client library. Prints one JSON line with the results on stdout; see
// ../README.md and `plexus-bench --help`.
#include "driver.h"
#include "options.h"
#include "result_json.h"
#include "run.h"

#include <sys/prctl.h>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <string_view>

int main(int argc, char** argv)
{
    using namespace plexus::bench;
    std::signal(SIGPIPE, SIG_IGN); // a broker closing the socket is an error to report, not a death
    // Latency is measured from each message's scheduled send time, so the producer's sleep
    // must end on time: Linux lets a sleep overrun by the thread's timer slack (50 us by
    // default), which would be counted against every broker alike. Threads inherit it.
    ::prctl(PR_SET_TIMERSLACK, 1UL);
    if (argc == 2 && std::string_view(argv[1]) == "--list-drivers") {
        for (const auto& name : driver_names()) {
            std::cout << name << "\n"; // what bench/protocols/run.py asks before choosing scenarios
        }
        return 0;
    }
    options o;
    try {
        bool help = false;
        o = parse_options(argc, argv, help);
        if (help) {
            std::cout << usage_text;
            return 0;
        }
    } catch (const usage_error& e) {
        std::cerr << "plexus-bench: " << e.what() << "\n" << usage_text;
        return 64;
    }
    std::unique_ptr<driver> d;
    try {
        d = make_driver(o);
    } catch (const driver_error& e) {
        std::cerr << "plexus-bench: " << e.what() << "\n";
        return 64;
    }
    auto r = run(o, *d);
    d.reset();
    std::cout << result_json(o, r) << std::endl;
    if (!r.error.empty()) {
        std::cerr << "plexus-bench: " << r.error << "\n";
        return 2;
    }
    if (!r.clean()) {
        const auto& c = r.deliveries;
        std::cerr << "plexus-bench: FAILED: lost " << c.lost << ", duplicated " << c.duplicated << ", corrupted "
                  << c.corrupted << ", refused publishes " << r.publishes.refused
                  << (r.confirms_complete ? "" : ", confirms missing at the end") << "\n";
        return 1;
    }
    return 0;
}
