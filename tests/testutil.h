// Shared helpers for Cairn's tests: temporary directories on the real file system, seeds
// that print on failure, and small data generators.
#ifndef CAIRN_TESTS_TESTUTIL_H_
#define CAIRN_TESTS_TESTUTIL_H_

#include <cstdint>
#include <random>
#include <string>

#include "cairn/status.h"

namespace cairn::test {

// A fresh, empty directory under $TMPDIR (or /tmp), removed with its contents on
// destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The seed for a randomized test: $CAIRN_TEST_SEED if set, else a fresh random one. The test
// should print it (SCOPED_TRACE) so a failure can be replayed.
uint64_t TestSeed();

// A random string of `length` bytes drawn from printable characters.
std::string RandomString(std::mt19937_64* rng, size_t length);

}  // namespace cairn::test

// gtest assertions for Status.
#define ASSERT_OK(expr)                                    \
  do {                                                     \
    ::cairn::Status s_ = (expr);                           \
    ASSERT_TRUE(s_.ok()) << #expr << ": " << s_.ToString(); \
  } while (0)
#define EXPECT_OK(expr)                                    \
  do {                                                     \
    ::cairn::Status s_ = (expr);                           \
    EXPECT_TRUE(s_.ok()) << #expr << ": " << s_.ToString(); \
  } while (0)

#endif  // CAIRN_TESTS_TESTUTIL_H_
