#include "sasl.h"

#include "field_table.h"

namespace plexus::protocol::amqp091 {
namespace {

amqp_error refused(std::string text)
{
    return amqp_error{ reply_code::access_refused, std::move(text), 10, 11 };
}

std::string login_refused(std::string_view mechanism)
{
    // RabbitMQ's wording: clients and operators recognise it; the reason is in our log only.
    return "Login was refused using authentication mechanism " + std::string(mechanism) +
           ". For details see the broker logfile.";
}

} // namespace

std::variant<credentials, amqp_error> parse_response(std::string_view mechanism, std::string_view response)
{
    if (mechanism == "PLAIN") {
        auto first = response.find('\0');
        auto second = first == std::string_view::npos ? first : response.find('\0', first + 1);
        if (second == std::string_view::npos) {
            return refused("PLAIN response is not [authzid] NUL user NUL password");
        }
        return credentials{ std::string(response.substr(first + 1, second - first - 1)),
                            std::string(response.substr(second + 1)) };
    }
    if (mechanism == "AMQPLAIN") {
        wire_reader r(response);
        auto table = read_table_entries(r);
        const auto* login = find_field(table, "LOGIN");
        const auto* password = find_field(table, "PASSWORD");
        if (!r.ok() || login == nullptr || password == nullptr || !std::holds_alternative<std::string>(login->value) ||
            !std::holds_alternative<std::string>(password->value)) {
            return refused("AMQPLAIN response is not a table with LOGIN and PASSWORD strings");
        }
        return credentials{ std::get<std::string>(login->value), std::get<std::string>(password->value) };
    }
    return amqp_error{ reply_code::command_invalid,
                       "unknown authentication mechanism '" + std::string(mechanism) +
                         "' (supported: " + std::string(supported_mechanisms) + ")",
                       10,
                       11 };
}

std::optional<amqp_error> authenticate(sdk::kernel& kernel,
                                       const credentials& c,
                                       std::string_view mechanism,
                                       const sdk::peer_info& peer,
                                       std::string& why)
{
    auto user = kernel.authenticate(c.user, c.password, peer);
    if (user) {
        return std::nullopt;
    }
    why = std::string(user.error().message());
    if (user.error().code() == sdk::errc::forbidden) {
        return refused(why); // "user 'guest' can only connect via localhost", as RabbitMQ says
    }
    return refused(login_refused(mechanism));
}

} // namespace plexus::protocol::amqp091
