// Where consumer groups' committed offsets are kept: one key per group, stream and partition in
// the metadata store of the stream's engine. The parts are length-prefixed (field_codec's
// put_string), so no vhost, group or stream name, whatever it contains, makes two offsets share
// a key, and the keys of one group in one vhost are exactly those under one prefix.
//
// Before that the key was "grp/<vhost>/<group>/<stream>/<partition>", where group "a/b" on
// stream "c" and group "a" on stream "b/c" are the same key. Such legacy keys are rewritten
// once, at startup (broker_core::migrate_group_offsets): a legacy key is given to every
// reading of it that names a stream of that engine, which is what each of those readers saw
// before the upgrade, so none of them loses an offset.
#pragma once

#include "plexus/sdk/strong_types.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace plexus::kernel {

/// The key of `group`'s committed offset on a partition.
std::string group_offset_key(std::string_view vhost,
                             std::string_view group,
                             std::string_view stream,
                             sdk::partition_id partition);

/// The prefix of every key of `group` in `vhost`, and nothing else's.
std::string group_offsets_prefix(std::string_view vhost, std::string_view group);

/// What follows group_offsets_prefix() in a key: the stream and partition; nullopt for a key
/// that is not one of group_offset_key()'s.
struct group_offset_target
{
    std::string stream;
    sdk::partition_id partition{ 0 };
};
std::optional<group_offset_target> group_offset_target_of(std::string_view key_after_prefix);

/// The prefix of every legacy ("grp/…") key.
constexpr std::string_view legacy_group_offsets_prefix = "grp/";

/// Whom a legacy key could have been written for.
struct group_offset_owner
{
    std::string vhost;
    std::string group;
    std::string stream;
    sdk::partition_id partition{ 0 };
};

/// Every reading of the legacy key `key` as a vhost of `vhosts`, a group, and a stream for
/// which `is_stream(vhost, stream)` holds, and a partition number; none for a key that has no
/// such reading (its stream is gone, say).
std::vector<group_offset_owner> legacy_group_offset_owners(
  std::string_view key,
  const std::vector<std::string>& vhosts,
  const std::function<bool(std::string_view vhost, std::string_view stream)>& is_stream);

} // namespace plexus::kernel
