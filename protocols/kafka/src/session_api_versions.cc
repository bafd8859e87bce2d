// ApiVersions: the served APIs and versions (served_apis.cc). A version the gateway does not
// serve is answered, as Kafka answers it, with UNSUPPORTED_VERSION in the v0 layout (which
// every client can read) listing what is served, so the client can retry with one of them.
#include "error_code.h"
#include "generated/api_versions.h"
#include "served_apis.h"
#include "session.h"

namespace plexus::protocol::kafka {

void session::on_api_versions(const request_context& ctx, std::string_view body, bool supported)
{
    (void)body; // the client's software name and version are not used
    generated::api_versions_response response;
    for (const auto& api : served_apis()) {
        response.api_keys.push_back({ api.key, api.lowest, api.highest });
    }
    request_context answer = ctx;
    if (!supported) {
        response.error_code = wire(error_code::unsupported_version);
        answer.api_version = 0;
    }
    // ApiVersions responses always have header v0: a client must read them before it knows
    // which header versions the broker speaks.
    respond(answer, response, false);
}

} // namespace plexus::protocol::kafka
