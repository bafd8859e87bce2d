// A Kafka session against the SDK fakes, and the framing helpers its tests share.
#pragma once

#include "generated/request_header.h"
#include "generated/response_header.h"
#include "session.h"

#include "plexus/sdk/testing/fake_connection.h"
#include "plexus/sdk/testing/fake_kernel.h"

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

namespace plexus::protocol::kafka::testing {

namespace fake = plexus::sdk::testing;
namespace sdk = plexus::sdk;

struct fixture
{
    fake::fake_executor exec;
    fake::fake_kernel kernel{ exec };
    fake::fake_connection conn;
    gateway_config config;
    topic_registry topics;
    group_coordinator groups;
    producer_sequences producers{ 1000 };
    std::unique_ptr<session> s;
    sdk::buffer_chain in;

    explicit fixture(std::string peer = "127.0.0.1:40000")
      : conn(exec, 1, std::move(peer))
    {
        config.max_request_bytes = 4096;
    }
    void start()
    {
        s = std::make_unique<session>(conn, kernel, config, topics, groups, producers, kernel.log("protocol.kafka"));
    }

    /// Feeds bytes as the kernel would; returns what on_data said.
    sdk::status feed(const std::string& bytes)
    {
        in.append(sdk::bytes::copy_of(bytes));
        auto st = s->on_data(in);
        exec.run_all();
        return st;
    }
};

inline std::string frame(std::string payload)
{
    wire_writer w;
    w.int32(static_cast<std::int32_t>(payload.size()));
    w.raw(payload);
    return w.take();
}

inline std::string request(std::int16_t key,
                           std::int16_t version,
                           std::int32_t correlation,
                           bool flexible,
                           std::string body)
{
    generated::request_header h;
    h.request_api_key = key;
    h.request_api_version = version;
    h.correlation_id = correlation;
    h.client_id = "test";
    wire_writer w;
    h.write(w, flexible ? 2 : 1);
    w.raw(body);
    return frame(w.take());
}

/// Splits written bytes into response frames.
inline std::vector<std::string> responses(const std::string& written)
{
    std::vector<std::string> out;
    wire_reader r(written);
    while (r.remaining() > 0) {
        auto n = r.int32();
        out.emplace_back(r.raw(static_cast<std::size_t>(n)));
        REQUIRE(r.ok());
    }
    return out;
}

/// Encodes a request body of `Message` at `version`.
template<class Message>
std::string body_of(const Message& m, std::int16_t version)
{
    wire_writer w;
    m.write(w, version);
    return w.take();
}

/// Decodes a response (header v0 or v1) and checks its correlation id and that nothing is left.
template<class Message>
Message read_response(const std::string& response, std::int16_t version, bool flexible_header, std::int32_t corr)
{
    wire_reader r(response);
    generated::response_header h;
    h.read(r, flexible_header ? 1 : 0);
    CHECK(h.correlation_id == corr);
    Message m;
    m.read(r, version);
    REQUIRE(r.ok());
    CHECK(r.remaining() == 0);
    return m;
}

} // namespace plexus::protocol::kafka::testing
