#include "kernel/src/auth/password_hash.h"
#include "kernel/src/auth/user_store.h"

#include <catch2/catch.hpp>

using namespace plexus;
using kernel::user_config;
using kernel::user_store;
using sdk::errc;

TEST_CASE("password hashes are RabbitMQ's salted SHA-256", "[unit][auth]")
{
    // Made outside Plexus: base64(salt 01 02 03 04 ‖ sha256(salt ‖ "secret")).
    const std::string made_elsewhere = "AQIDBDB9kM21iEUzN1lZ+6VReCsdNqS0sERdAQTcY6Xs3PMz";
    CHECK(kernel::verify_password(made_elsewhere, "secret"));
    CHECK_FALSE(kernel::verify_password(made_elsewhere, "Secret"));
    CHECK_FALSE(kernel::check_password_hash(made_elsewhere));
    auto mine = kernel::hash_password("pässword");
    CHECK(kernel::verify_password(mine, "pässword"));
    CHECK_FALSE(kernel::verify_password(mine, "password"));
    CHECK(kernel::hash_password("x") != kernel::hash_password("x")); // salted
    CHECK(kernel::check_password_hash("secret"));
    CHECK(kernel::check_password_hash(std::string(48, '!')));
    CHECK_FALSE(kernel::verify_password("not a hash", "not a hash"));
}

TEST_CASE("no users configured: guest / guest from loopback only, on every vhost", "[unit][auth]")
{
    user_store users({});
    sdk::peer_info local{ "127.0.0.1:1", true, {}, 0 };
    sdk::peer_info remote{ "10.0.0.1:1", false, {}, 0 };
    auto ok = users.authenticate("guest", "guest", local);
    REQUIRE(ok);
    CHECK(ok->name == "guest");
    auto far = users.authenticate("guest", "guest", remote);
    REQUIRE_FALSE(far);
    CHECK(far.error().code() == errc::forbidden);
    CHECK(far.error().message() == "user 'guest' can only connect via localhost");
    CHECK(users.authenticate("guest", "nope", local).error().code() == errc::unauthenticated);
    CHECK(users.authenticate("nobody", "guest", local).error().code() == errc::unauthenticated);
    CHECK(users.check_vhost_access("guest", "any").ok());
}

TEST_CASE("configured users: passwords, loopback and vhost access", "[unit][auth]")
{
    user_config app{ "app", kernel::hash_password("s3cret"), { "monitoring" }, { "/", "orders" }, false };
    user_config local_only{ "ops", kernel::hash_password("ops"), {}, { "*" }, true };
    user_store users({ app, local_only });
    sdk::peer_info remote{ "10.0.0.1:1", false, {}, 0 };
    auto who = users.authenticate("app", "s3cret", remote);
    REQUIRE(who);
    CHECK(who->tags == std::vector<std::string>{ "monitoring" });
    CHECK(users.authenticate("guest", "guest", sdk::peer_info{ "127.0.0.1:1", true, {}, 0 }).error().code() ==
          errc::unauthenticated);
    CHECK(users.authenticate("ops", "ops", remote).error().code() == errc::forbidden);
    CHECK(users.check_vhost_access("app", "orders").ok());
    auto refused = users.check_vhost_access("app", "billing");
    CHECK(refused.code() == errc::forbidden);
    CHECK(refused.message() == "access to vhost 'billing' refused for user 'app'");
    CHECK(users.check_vhost_access("ops", "billing").ok());
    CHECK(users.check_vhost_access("nobody", "/").code() == errc::forbidden);
}
