#include "version.h"

#include <catch2/catch.hpp>

#include <string>

using namespace plexus::protocol::stomp;

TEST_CASE("accept-version picks the highest version both sides speak", "[stomp][codec]")
{
    auto pick = [](std::string s) { return negotiate(&s); };
    CHECK(negotiate(nullptr) == version::v1_0);
    CHECK(pick("1.0") == version::v1_0);
    CHECK(pick("1.1") == version::v1_1);
    CHECK(pick("1.0,1.1,1.2") == version::v1_2);
    CHECK(pick("1.2, 1.1") == version::v1_2);
    CHECK(pick("1.1,2.0") == version::v1_1);
    CHECK_FALSE(pick("2.0"));
    CHECK_FALSE(pick(""));
}
