// The broker's users, from the config: who may log in, from where, and to which vhosts.
// Built once at startup and never changed, so every shard reads it without locks.
#pragma once

#include "kernel/src/config/broker_config.h"
#include "plexus/sdk/kernel.h"

#include <map>
#include <string>
#include <string_view>

namespace plexus::kernel {

class user_store
{
  public:
    /// No users configured: RabbitMQ's default, guest / guest from loopback only, every vhost.
    explicit user_store(const std::vector<user_config>& users);

    sdk::result<sdk::user_identity> authenticate(std::string_view user,
                                                 std::string_view password,
                                                 const sdk::peer_info& peer) const;
    sdk::status check_vhost_access(std::string_view user, std::string_view vhost) const;

  private:
    std::map<std::string, user_config, std::less<>> _users;
};

} // namespace plexus::kernel
