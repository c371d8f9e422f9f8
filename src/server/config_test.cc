// Proves the protected-mode rule (a non-loopback bind needs a password) and the range checks
// of ValidateConfig.
#include "server/config.h"

#include <gtest/gtest.h>

namespace cairn::server {
namespace {

ServerConfig Base() {
  ServerConfig config;
  config.db_dir = "/tmp/x";
  return config;
}

TEST(ServerConfig, LoopbackAddresses) {
  EXPECT_TRUE(IsLoopbackAddress("127.0.0.1"));
  EXPECT_TRUE(IsLoopbackAddress("127.1.2.3"));
  EXPECT_TRUE(IsLoopbackAddress("::1"));
  EXPECT_TRUE(IsLoopbackAddress("localhost"));
  EXPECT_FALSE(IsLoopbackAddress("0.0.0.0"));
  EXPECT_FALSE(IsLoopbackAddress("10.0.0.1"));
  EXPECT_FALSE(IsLoopbackAddress("::"));
}

TEST(ServerConfig, NonLoopbackBindRequiresAPassword) {
  ServerConfig config = Base();
  EXPECT_TRUE(ValidateConfig(config).ok());
  config.bind = "0.0.0.0";
  EXPECT_TRUE(ValidateConfig(config).IsInvalidArgument());
  config.requirepass = "secret";
  EXPECT_TRUE(ValidateConfig(config).ok());
}

TEST(ServerConfig, LimitsOutOfRangeAreRejected) {
  ServerConfig config = Base();
  config.max_clients = 0;
  EXPECT_FALSE(ValidateConfig(config).ok());
  config = Base();
  config.max_request_bytes = kMaxRequestBytesCeiling + 1;
  EXPECT_FALSE(ValidateConfig(config).ok());
  config = Base();
  config.max_bulk_bytes = kMaxValueSizeBytes + 1;
  EXPECT_FALSE(ValidateConfig(config).ok());
  config = Base();
  config.output_hard_limit_bytes = config.output_soft_limit_bytes - 1;
  EXPECT_FALSE(ValidateConfig(config).ok());
  config = Base();
  config.db_dir.clear();
  EXPECT_FALSE(ValidateConfig(config).ok());
}

}  // namespace
}  // namespace cairn::server
