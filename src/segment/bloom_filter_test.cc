// Proves the segment Bloom filter has no false negatives and a false-positive rate near
// its target (about 1% at 10 bits per key) for sequential and random keys, that the key
// hash is pinned (it is part of the file format), and that malformed filter blocks are
// rejected.
#include "segment/bloom_filter.h"

#include <gtest/gtest.h>

#include <random>

#include "segment/segment_testutil.h"
#include "testutil.h"

namespace cairn::segment {
namespace {

// The false-positive rate over 20000 keys that were not added.
double MeasureFalsePositiveRate(const BloomFilter& filter, const char* prefix) {
  int positives = 0;
  const int probes = 20000;
  for (int i = 0; i < probes; i++) {
    positives += filter.KeyMayMatch(test::NumberedKey(i + 1000000000, prefix)) ? 1 : 0;
  }
  return static_cast<double>(positives) / probes;
}

BloomFilter Build(const std::vector<std::string>& keys, int bits_per_key, std::string* storage) {
  BloomFilterBuilder builder(bits_per_key);
  for (const std::string& key : keys) {
    builder.AddKey(key);
  }
  storage->clear();
  builder.Finish(storage);
  EXPECT_EQ(storage->size(), builder.EncodedSize());
  BloomFilter filter;
  EXPECT_TRUE(BloomFilter::Parse(*storage, &filter).ok());
  return filter;
}

TEST(BloomFilter, NoFalseNegativesAndRateNearTarget) {
  std::string storage;
  for (size_t count : {1, 10, 100, 1000, 10000, 100000}) {
    std::vector<std::string> keys;
    for (size_t i = 0; i < count; i++) {
      keys.push_back(test::NumberedKey(i));
    }
    BloomFilter filter = Build(keys, 10, &storage);
    for (const std::string& key : keys) {
      ASSERT_TRUE(filter.KeyMayMatch(key)) << key;
    }
    const double rate = MeasureFalsePositiveRate(filter, "key");
    SCOPED_TRACE(std::to_string(count) + " keys: false-positive rate " + std::to_string(rate));
    EXPECT_LT(rate, count >= 1000 ? 0.02 : 0.05);
    if (count >= 10000) {
      EXPECT_GT(rate, 0.002);  // not suspiciously low: the filter really is ~10 bits per key
      std::printf("bloom: %zu keys, 10 bits/key: %.3f%% false positives\n", count, rate * 100);
    }
  }
}

TEST(BloomFilter, RandomKeysAtSeveralBudgets) {
  const uint64_t seed = test::TestSeed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  std::vector<std::string> keys;
  for (int i = 0; i < 20000; i++) {
    keys.push_back(test::RandomString(&rng, 4 + rng() % 40));
  }
  std::string storage;
  double previous_rate = 1.0;
  for (int bits : {4, 10, 20}) {
    BloomFilter filter = Build(keys, bits, &storage);
    for (const std::string& key : keys) {
      ASSERT_TRUE(filter.KeyMayMatch(key));
    }
    const double rate = MeasureFalsePositiveRate(filter, "absent");
    std::printf("bloom: %d bits/key, %d probes: %.3f%% false positives\n", bits,
                filter.probe_count(), rate * 100);
    EXPECT_LT(rate, previous_rate);
    previous_rate = rate;
    if (bits == 10) {
      EXPECT_LT(rate, 0.02);
    }
  }
}

TEST(BloomFilter, HashIsPinned) {
  // The hash decides which bits a stored filter has set: changing it breaks every file.
  EXPECT_EQ(SegmentKeyHash(""), 0xee4ad0ccda95aef0ull) << std::hex << SegmentKeyHash("");
  EXPECT_EQ(SegmentKeyHash("a"), 0x291242126a54b210ull) << std::hex << SegmentKeyHash("a");
  EXPECT_EQ(SegmentKeyHash("key000000001"), 0xcdca28330ae9e620ull)
      << std::hex << SegmentKeyHash("key000000001");
  EXPECT_NE(SegmentKeyHash(std::string(8, '\0')), SegmentKeyHash(std::string(7, '\0')));
  EXPECT_EQ(BloomProbeCount(10), 6);
  EXPECT_EQ(BloomProbeCount(1), 1);
  EXPECT_LE(BloomProbeCount(32), kBloomMaxProbes);
}

TEST(BloomFilter, MalformedEncodingsAreRejected) {
  BloomFilter filter;
  EXPECT_TRUE(BloomFilter::Parse("", &filter).IsCorruption());
  std::string one_line(kBloomLineBytes, '\0');
  EXPECT_TRUE(BloomFilter::Parse(one_line, &filter).IsCorruption());  // no kind/probes
  EXPECT_TRUE(BloomFilter::Parse(one_line + "\x01\x06", &filter).ok());
  EXPECT_TRUE(BloomFilter::Parse(one_line + "x\x01\x06", &filter).IsCorruption());  // partial line
  EXPECT_TRUE(BloomFilter::Parse(one_line + "\x02\x06", &filter).IsCorruption());   // kind
  EXPECT_TRUE(BloomFilter::Parse(one_line + std::string("\x01\x00", 2), &filter).IsCorruption());
  EXPECT_TRUE(BloomFilter::Parse(one_line + "\x01\x63", &filter).IsCorruption());  // 99 probes
  // An all-zero filter matches nothing; an absent one matches everything.
  const std::string empty_filter = one_line + "\x01\x06";  // outlives the view
  ASSERT_TRUE(BloomFilter::Parse(empty_filter, &filter).ok());
  EXPECT_FALSE(filter.KeyMayMatch("anything"));
  EXPECT_TRUE(BloomFilter().KeyMayMatch("anything"));
}

}  // namespace
}  // namespace cairn::segment
