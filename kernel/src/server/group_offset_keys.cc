#include "kernel/src/server/group_offset_keys.h"

#include "plexus/sdk/field_codec.h"

#include <charconv>
#include <limits>

namespace plexus::kernel {
namespace {

constexpr std::string_view key_prefix = "gof/";

std::optional<std::int32_t> partition_number(std::string_view digits)
{
    std::int32_t p = 0;
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string_view::npos) {
        return std::nullopt;
    }
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), p);
    if (ec != std::errc() || end != digits.data() + digits.size()) {
        return std::nullopt;
    }
    return p;
}

} // namespace

std::string group_offsets_prefix(std::string_view vhost, std::string_view group)
{
    std::string k(key_prefix);
    sdk::put_string(k, vhost);
    sdk::put_string(k, group);
    return k;
}

std::string group_offset_key(std::string_view vhost,
                             std::string_view group,
                             std::string_view stream,
                             sdk::partition_id partition)
{
    std::string k = group_offsets_prefix(vhost, group);
    sdk::put_string(k, stream);
    sdk::put_varint(k, static_cast<std::uint32_t>(partition()));
    return k;
}

std::optional<group_offset_target> group_offset_target_of(std::string_view key_after_prefix)
{
    std::size_t pos = 0;
    auto stream = sdk::read_string(key_after_prefix, pos);
    if (!stream) {
        return std::nullopt;
    }
    auto partition = sdk::read_varint(key_after_prefix, pos);
    if (!partition || *partition > static_cast<std::uint64_t>(std::numeric_limits<std::int32_t>::max()) ||
        pos != key_after_prefix.size()) {
        return std::nullopt;
    }
    return group_offset_target{ .stream = std::string(*stream),
                                .partition = sdk::partition_id(static_cast<std::int32_t>(*partition)) };
}

std::vector<group_offset_owner> legacy_group_offset_owners(
  std::string_view key,
  const std::vector<std::string>& vhosts,
  const std::function<bool(std::string_view vhost, std::string_view stream)>& is_stream)
{
    std::vector<group_offset_owner> owners;
    if (!key.starts_with(legacy_group_offsets_prefix)) {
        return owners;
    }
    key.remove_prefix(legacy_group_offsets_prefix.size());
    auto last = key.rfind('/');
    if (last == std::string_view::npos) {
        return owners;
    }
    auto partition = partition_number(key.substr(last + 1));
    if (!partition) {
        return owners;
    }
    std::string_view names = key.substr(0, last); // <vhost>/<group>/<stream>
    for (const auto& vhost : vhosts) {
        if (!names.starts_with(vhost) || names.size() <= vhost.size() || names[vhost.size()] != '/') {
            continue;
        }
        std::string_view rest = names.substr(vhost.size() + 1); // <group>/<stream>
        for (auto slash = rest.find('/'); slash != std::string_view::npos; slash = rest.find('/', slash + 1)) {
            std::string_view stream = rest.substr(slash + 1);
            if (!stream.empty() && is_stream(vhost, stream)) {
                owners.push_back(group_offset_owner{ .vhost = vhost,
                                                     .group = std::string(rest.substr(0, slash)),
                                                     .stream = std::string(stream),
                                                     .partition = sdk::partition_id(*partition) });
            }
        }
    }
    return owners;
}

} // namespace plexus::kernel
