// MQTT's UTF-8 rule (3.1.1 §1.5.3, 5.0 §1.5.4): a string must be well-formed UTF-8 (no
// overlong forms, no surrogates, nothing above U+10FFFF) and must not contain U+0000; a
// receiver that sees either closes the connection as malformed.
#pragma once

#include <string_view>

namespace plexus::protocol::mqtt {

/// `allow_nul`: for payloads marked UTF-8 (payload format indicator 1), where U+0000 is a
/// character like any other; MQTT strings never allow it.
bool valid_mqtt_utf8(std::string_view s, bool allow_nul = false) noexcept;

} // namespace plexus::protocol::mqtt
