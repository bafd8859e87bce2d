#include "header_escaping.h"

#include <catch2/catch.hpp>

using namespace plexus::protocol::stomp;

TEST_CASE("escape and unescape are inverse in 1.2", "[stomp][codec]")
{
    const std::string text = "a:b\nc\rd\\e";
    CHECK(escape(text, version::v1_2) == "a\\cb\\nc\\rd\\\\e");
    CHECK(unescape(escape(text, version::v1_2), version::v1_2) == text);
}

TEST_CASE("1.0 leaves header text alone", "[stomp][codec]")
{
    CHECK(escape("a:b\\", version::v1_0) == "a:b\\");
    CHECK(unescape("a\\tb", version::v1_0) == "a\\tb");
}

TEST_CASE("undefined escapes are refused", "[stomp][codec]")
{
    CHECK_FALSE(unescape("\\t", version::v1_2));
    CHECK_FALSE(unescape("x\\", version::v1_2));
    CHECK_FALSE(unescape("\\r", version::v1_1));
    CHECK(unescape("\\n\\c\\\\", version::v1_1) == "\n:\\");
}
