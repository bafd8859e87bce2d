// The stored form of a persistent session: what is written comes back, and bytes that are
// not a record (truncated, another version, out-of-range fields) are refused, never half read.
#include "session_record.h"

#include <catch2/catch.hpp>

using namespace plexus::protocol::mqtt;

namespace {

session_record sample()
{
    session_record r;
    r.queue = "mqtt-session.device-1";
    r.expiry_seconds = 3600;
    r.offline_since_ms = 1'764'633'600'123;
    subscription_entry plain;
    plain.filter = "sensors/+/temp";
    plain.qos = 1;
    plain.no_local = true;
    plain.identifier = 268'435'455; // the largest a subscription identifier may be
    r.subscriptions.emplace(plain.filter, plain);
    subscription_entry grouped;
    grouped.filter = "jobs/#";
    grouped.shared = shared_filter{ "workers", "jobs/#" };
    grouped.qos = 2;
    grouped.retain_as_published = true;
    r.subscriptions.emplace("$share/workers/jobs/#", grouped);
    r.inbound_qos2 = { 1, 7, 65535 };
    r.outbound_qos2 = { 42 };
    return r;
}

} // namespace

TEST_CASE("a session record decodes to what was encoded", "[unit][mqtt]")
{
    const auto r = sample();
    const auto back = decode_session_record(encode_session_record(r));
    REQUIRE(back);
    CHECK(back->queue == r.queue);
    CHECK(back->expiry_seconds == 3600);
    CHECK(back->offline_since_ms == r.offline_since_ms);
    CHECK(back->inbound_qos2 == r.inbound_qos2);
    CHECK(back->outbound_qos2 == r.outbound_qos2);
    REQUIRE(back->subscriptions.size() == 2);
    const auto& plain = back->subscriptions.at("sensors/+/temp");
    CHECK(plain.qos == 1);
    CHECK(plain.no_local);
    CHECK_FALSE(plain.retain_as_published);
    CHECK_FALSE(plain.shared);
    CHECK(plain.identifier == 268'435'455u);
    const auto& grouped = back->subscriptions.at("$share/workers/jobs/#");
    REQUIRE(grouped.shared);
    CHECK(grouped.shared->group == "workers");
    CHECK(grouped.shared->filter == "jobs/#");
    CHECK(grouped.qos == 2);
    CHECK(grouped.retain_as_published);
    CHECK_FALSE(grouped.identifier);
}

TEST_CASE("an empty session record and one that never expires decode", "[unit][mqtt]")
{
    session_record r;
    r.queue = "q";
    r.expiry_seconds = 0xFFFFFFFF;
    const auto back = decode_session_record(encode_session_record(r));
    REQUIRE(back);
    CHECK(back->expiry_seconds == 0xFFFFFFFF);
    CHECK(back->offline_since_ms == 0);
    CHECK(back->subscriptions.empty());
}

TEST_CASE("bytes that are not a whole session record are refused", "[unit][mqtt]")
{
    const auto bytes = encode_session_record(sample());
    for (std::size_t n = 0; n < bytes.size(); ++n) {
        INFO("truncated to " << n << " of " << bytes.size() << " bytes");
        CHECK_FALSE(decode_session_record(std::string_view(bytes).substr(0, n)));
    }
    CHECK_FALSE(decode_session_record(bytes + "x")); // trailing bytes
    auto other_version = bytes;
    other_version[0] = 2;
    CHECK_FALSE(decode_session_record(other_version));

    session_record bad_qos;
    bad_qos.queue = "q";
    subscription_entry s;
    s.filter = "a";
    s.qos = 3;
    bad_qos.subscriptions.emplace("a", s);
    CHECK_FALSE(decode_session_record(encode_session_record(bad_qos)));

    session_record zero_id;
    zero_id.queue = "q";
    zero_id.inbound_qos2 = { 0 }; // packet id 0 does not exist
    CHECK_FALSE(decode_session_record(encode_session_record(zero_id)));
}
