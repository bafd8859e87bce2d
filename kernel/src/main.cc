// plexusd: the one file the tests do not link (everything else is in plexus_kernel).
#include "kernel/src/server/startup.h"

int main(int argc, char** argv)
{
    return plexus::kernel::run_plexusd(argc, argv);
}
