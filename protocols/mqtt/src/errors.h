// Kernel statuses as MQTT reason codes, in one place.
#pragma once

#include "reason_code.h"
#include "plexus/sdk/status.h"

namespace plexus::protocol::mqtt {

/// The reason code a PUBACK / PUBREC / SUBACK carries for a kernel failure.
reason_code from_status(const sdk::status& st) noexcept;

} // namespace plexus::protocol::mqtt
