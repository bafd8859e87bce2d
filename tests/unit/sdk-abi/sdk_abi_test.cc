// Any edit to sdk/include changes PLEXUS_SDK_HEADERS_SHA256 (computed by sdk/CMakeLists.txt and
// part of every plugin's build fingerprint). This test makes that edit a conscious decision: it
// fails until sdk/ABI.md records the new hash, which its checklist asks a developer to do only
// after deciding whether the change needs an ABI major or minor bump.
#include "plexus/sdk/abi.h"
#include "plexus/sdk/sdk_hash.h"

#include <catch2/catch.hpp>

#include <fstream>
#include <optional>
#include <sstream>
#include <string>

namespace {

std::string read_abi_md()
{
    std::ifstream in(PLEXUS_SDK_ABI_MD);
    INFO("cannot read " << PLEXUS_SDK_ABI_MD);
    REQUIRE(in.good());
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// The rest of the line after `label` (trimmed, without Markdown backticks), if the label occurs
// at the start of a line exactly once.
std::optional<std::string> value_after(const std::string& text, const std::string& label)
{
    std::optional<std::string> found;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (line.rfind(label, 0) != 0) {
            continue;
        }
        if (found) {
            return std::nullopt; // two records: ambiguous
        }
        std::string v;
        for (char c : line.substr(label.size())) {
            if (c != '`' && c != ' ' && c != '\t' && c != '\r') {
                v += c;
            }
        }
        found = v;
    }
    return found;
}

constexpr const char* review_hint =
  "The SDK headers changed. Review the change against sdk/ABI.md's checklist (bump "
  "PLEXUS_ABI_MAJOR for a breaking change, PLEXUS_ABI_MINOR for an additive one), then record "
  "the new values in sdk/ABI.md";

} // namespace

TEST_CASE("sdk/ABI.md records the current SDK header hash", "[unit][sdk-abi]")
{
    auto recorded = value_after(read_abi_md(), "SDK headers SHA-256:");
    INFO("sdk/ABI.md must have exactly one line starting with 'SDK headers SHA-256:'");
    REQUIRE(recorded.has_value());
    INFO(review_hint << ": 'SDK headers SHA-256: " << PLEXUS_SDK_HEADERS_SHA256 << "'");
    CHECK(*recorded == PLEXUS_SDK_HEADERS_SHA256);
}

TEST_CASE("sdk/ABI.md records the current ABI version", "[unit][sdk-abi]")
{
    auto recorded = value_after(read_abi_md(), "ABI version:");
    INFO("sdk/ABI.md must have exactly one line starting with 'ABI version:'");
    REQUIRE(recorded.has_value());
    const std::string current = std::to_string(PLEXUS_ABI_MAJOR) + "." + std::to_string(PLEXUS_ABI_MINOR);
    INFO(review_hint << ": 'ABI version: " << current << "'");
    CHECK(*recorded == current);
}
