#include "admin_client.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/URI.h>
#include <fmt/format.h>

#include <sstream>

namespace plexus::ctl {

admin_client::admin_client(std::string host, std::uint16_t port)
  : _host(std::move(host))
  , _port(port)
{
}

std::string encode_segment(const std::string& s)
{
    std::string out;
    Poco::URI::encode(s, "/?#&=+ %", out);
    return out;
}

Poco::Dynamic::Var admin_client::call(const std::string& method,
                                      const std::string& path,
                                      const std::string& body,
                                      std::string* raw)
{
    std::string text;
    Poco::Net::HTTPResponse res;
    try {
        Poco::Net::HTTPClientSession session(_host, _port);
        session.setTimeout(Poco::Timespan(30, 0));
        Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
        req.setContentType("application/json");
        req.setContentLength(static_cast<std::streamsize>(body.size()));
        session.sendRequest(req) << body;
        auto& in = session.receiveResponse(res);
        text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    } catch (const Poco::Net::NetException& e) {
        throw unreachable(fmt::format("cannot reach the admin API at {}:{}: {}", _host, _port, e.displayText()));
    } catch (const Poco::Exception& e) {
        throw unreachable(fmt::format("cannot reach the admin API at {}:{}: {}", _host, _port, e.displayText()));
    }
    if (raw != nullptr) {
        *raw = text;
    }
    Poco::Dynamic::Var json;
    if (!text.empty() && res.getContentType().find("json") != std::string::npos) {
        try {
            json = Poco::JSON::Parser().parse(text);
        } catch (const Poco::Exception& e) {
            throw api_error("the admin API answered with malformed JSON: " + e.displayText());
        }
    }
    if (res.getStatus() >= 400) {
        std::string reason = text;
        if (auto o = json.isEmpty() ? nullptr : json.extract<Poco::JSON::Object::Ptr>(); o && o->has("reason")) {
            reason = o->getValue<std::string>("reason");
        }
        throw api_error(reason);
    }
    return json;
}

} // namespace plexus::ctl
