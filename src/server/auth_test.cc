// Proves password checks accept exactly the configured password for the default user, and
// that no password configured means AUTH never succeeds.
#include "server/auth.h"

#include <gtest/gtest.h>

namespace cairn::server {
namespace {

TEST(Auth, ConstantTimeEqualsIsEquality) {
  EXPECT_TRUE(ConstantTimeEquals("secret", "secret"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_FALSE(ConstantTimeEquals("secret", "secreT"));
  EXPECT_FALSE(ConstantTimeEquals("secret", "secret2"));
  EXPECT_FALSE(ConstantTimeEquals("secret2", "secret"));
  EXPECT_FALSE(ConstantTimeEquals("", "x"));
  EXPECT_FALSE(ConstantTimeEquals(std::string("a\0", 2), "a"));
}

TEST(Auth, OnlyTheDefaultUserWithThePasswordIsAccepted) {
  EXPECT_TRUE(CheckPassword("", "pw", "pw"));
  EXPECT_TRUE(CheckPassword("default", "pw", "pw"));
  EXPECT_FALSE(CheckPassword("admin", "pw", "pw"));
  EXPECT_FALSE(CheckPassword("", "nope", "pw"));
  EXPECT_FALSE(CheckPassword("", "", ""));  // no password configured: AUTH cannot succeed
}

}  // namespace
}  // namespace cairn::server
