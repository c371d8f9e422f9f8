#include "server/auth.h"

#include <algorithm>
#include <cstddef>

namespace cairn::server {

bool ConstantTimeEquals(std::string_view given, std::string_view expected) {
  // Every byte of the longer string is visited whatever the contents, and the difference is
  // accumulated without branching on it.
  size_t length = std::max(given.size(), expected.size());
  unsigned char diff = given.size() == expected.size() ? 0 : 1;
  for (size_t i = 0; i < length; i++) {
    unsigned char a = i < given.size() ? static_cast<unsigned char>(given[i]) : 0;
    unsigned char b = i < expected.size() ? static_cast<unsigned char>(expected[i]) : 0;
    diff |= static_cast<unsigned char>(a ^ b);
  }
  return diff == 0;
}

bool CheckPassword(std::string_view user, std::string_view password,
                   std::string_view requirepass) {
  bool password_ok = ConstantTimeEquals(password, requirepass);
  bool user_ok = user.empty() || user == "default";
  return !requirepass.empty() && password_ok && user_ok;
}

}  // namespace cairn::server
