// Proves both CRC32C implementations (portable tables and SSE4.2) produce the published
// values (RFC 3720 appendix B.4 and the classic "123456789" check value), agree with each
// other on random input and split points, and that masking round-trips.
#include "util/crc32c.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace cairn::crc32c {
namespace {

struct Vector {
  std::string data;
  uint32_t crc;
};

std::vector<Vector> PublishedVectors() {
  std::vector<Vector> vectors;
  vectors.push_back({std::string(32, '\0'), 0x8A9136AAu});
  vectors.push_back({std::string(32, '\xff'), 0x62A8AB43u});
  std::string ascending, descending;
  for (int i = 0; i < 32; i++) {
    ascending.push_back(static_cast<char>(i));
    descending.push_back(static_cast<char>(31 - i));
  }
  vectors.push_back({ascending, 0x46DD794Eu});
  vectors.push_back({descending, 0x113FDB5Cu});
  vectors.push_back({"123456789", 0xE3069283u});
  vectors.push_back({"", 0u});
  return vectors;
}

TEST(Crc32c, PortableMatchesPublishedVectors) {
  for (const Vector& v : PublishedVectors()) {
    EXPECT_EQ(ExtendPortable(0, v.data.data(), v.data.size()), v.crc) << v.data.size();
  }
}

TEST(Crc32c, HardwareMatchesPublishedVectors) {
  if (!HardwareAvailable()) {
    GTEST_SKIP() << "CPU has no SSE4.2";
  }
  for (const Vector& v : PublishedVectors()) {
    uint32_t crc = 0;
    ASSERT_TRUE(ExtendHardware(0, v.data.data(), v.data.size(), &crc));
    EXPECT_EQ(crc, v.crc) << v.data.size();
  }
}

TEST(Crc32c, ExtendEqualsWholeAndImplementationsAgree) {
  std::mt19937_64 rng(42);
  for (int round = 0; round < 200; round++) {
    std::string data(rng() % 300, '\0');
    for (char& c : data) {
      c = static_cast<char>(rng());
    }
    uint32_t whole = Value(data);
    EXPECT_EQ(whole, ExtendPortable(0, data.data(), data.size()));
    size_t split = data.empty() ? 0 : rng() % data.size();
    EXPECT_EQ(whole, Extend(Extend(0, data.data(), split), data.data() + split, data.size() - split));
  }
}

TEST(Crc32c, MaskRoundTripsAndChangesValue) {
  uint32_t crc = Value("foo");
  EXPECT_NE(Mask(crc), crc);
  EXPECT_NE(Mask(Mask(crc)), crc);
  EXPECT_EQ(Unmask(Mask(crc)), crc);
  EXPECT_EQ(Unmask(Unmask(Mask(Mask(crc)))), crc);
}

}  // namespace
}  // namespace cairn::crc32c
