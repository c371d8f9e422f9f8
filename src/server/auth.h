// Password checks for AUTH and HELLO ... AUTH: compared in time that does not depend on where
// the first difference is, so response timing tells an attacker nothing about the password.
#ifndef CAIRN_SERVER_AUTH_H_
#define CAIRN_SERVER_AUTH_H_

#include <string_view>

namespace cairn::server {

// Whether `given` equals `expected`. Runs in time depending only on the two lengths.
bool ConstantTimeEquals(std::string_view given, std::string_view expected);

// Checks an AUTH attempt against the configured password. Only the user "default" exists
// (Redis' name for the single-password user); an empty `user` means "default".
bool CheckPassword(std::string_view user, std::string_view password,
                   std::string_view requirepass);

}  // namespace cairn::server

#endif  // CAIRN_SERVER_AUTH_H_
