// Password hashes in RabbitMQ's default format (rabbit_password_hashing_sha256): base64 of a
// 4-byte random salt followed by SHA-256(salt ‖ password). Users moving from RabbitMQ can bring
// the `password_hash` values of their exported definitions unchanged.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace plexus::kernel {

/// A new salted hash of `password`.
std::string hash_password(std::string_view password);

/// True when `password` matches `stored` (compared in constant time); false also when
/// `stored` is not a hash of this format.
bool verify_password(std::string_view stored, std::string_view password);

/// Why `stored` is not a hash of this format; nullopt when it is.
std::optional<std::string> check_password_hash(std::string_view stored);

} // namespace plexus::kernel
