// The stored form of durable definitions: what the kernel writes to the default engine's
// metadata store so that vhosts, durable exchanges and queues, streams and durable bindings
// come back after a restart (ARCHITECTURE.md §3, docs/adr/0008-durable-definitions.md).
//
// Keys sort by kind, then vhost: "def/<kind>/" + length-prefixed vhost + the rest, so one
// prefix scan finds a vhost's definitions of one kind. Values start with a format version.
#pragma once

#include "plexus/sdk/kernel.h"
#include "plexus/sdk/result.h"

#include <string>
#include <string_view>
#include <vector>

namespace plexus::kernel {

/// Every definition read back at startup, in the order they must be re-created.
struct stored_definitions
{
    std::vector<std::string> vhosts;
    std::vector<sdk::exchange_spec> exchanges;
    std::vector<sdk::queue_spec> queues;
    std::vector<sdk::stream_spec> streams;
    std::vector<sdk::binding_spec> bindings;
};

namespace definition_keys {
constexpr std::string_view all = "def/";
std::string vhost(std::string_view vhost);
std::string exchange(std::string_view vhost, std::string_view name);
std::string queue(std::string_view vhost, std::string_view name);
std::string stream(std::string_view vhost, std::string_view name);
std::string binding(const sdk::binding_spec& b);
/// Where a durable queue's acks are kept, in its own engine's metadata ("cur/q/…", outside
/// the definitions' prefix). Each priority lane has its own; lane 0's is the key queues had
/// before priorities ("cur/qp/…" for the others).
std::string queue_cursor(std::string_view vhost, std::string_view name, std::uint8_t lane = 0);
/// Prefixes of every key of one vhost (its own key included), for deleting a vhost.
std::vector<std::string> of_vhost(std::string_view vhost);
} // namespace definition_keys

std::string encode_exchange(const sdk::exchange_spec& spec);
std::string encode_queue(const sdk::queue_spec& spec);
std::string encode_stream(const sdk::stream_spec& spec);
std::string encode_binding(const sdk::binding_spec& spec);

/// Decodes the (key, value) pairs of a scan of definition_keys::all. Fails with corruption
/// naming the first key that cannot be read.
sdk::result<stored_definitions> decode_definitions(const std::vector<std::pair<std::string, std::string>>& rows);

} // namespace plexus::kernel
