// Shared helpers for Cairn's tests: temporary directories on the real file system, seeds
// that print on failure, the workload scale, small data generators and file-name checks.
// The test Envs (MemEnv, FaultEnv, KillPointEnv) are in src/testsupport/. One copy of each
// helper, so that tests cannot drift apart (a new test uses these, never a copy).
#ifndef CAIRN_TESTS_TESTUTIL_H_
#define CAIRN_TESTS_TESTUTIL_H_

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/status.h"
#include "util/filename.h"

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

// How much work a scaled test does: $CAIRN_TEST_SCALE if set and positive, else 1, or 0.25 in
// sanitizer builds (they run several times slower and look for races and undefined
// behaviour, not for depth).
double TestScale();
// `n` scaled by TestScale(), at least 4 so that every scaled loop still runs.
int Scaled(int n);

// "key000042": fixed width, so bytewise order is numeric order.
std::string Key(int i);
// A value naming its key and version ("v3-42-"), padded to `size` bytes with a letter that
// depends on both, so a value from another version or key never compares equal.
std::string Value(int i, int version, size_t size = 100);

// The type of the file at `path` (its last component), judged by the engine's one parser
// (util/filename.h ParseFileName); nullopt for a name the engine does not make.
std::optional<FileType> FileTypeOf(std::string_view path);
// The name of the newest (highest-numbered) WAL among `names`, or "" if there is none.
std::string NewestWalName(const std::vector<std::string>& names);

}  // namespace cairn::test

// gtest assertions for Status.
#define ASSERT_OK(expr)                                     \
  do {                                                      \
    ::cairn::Status s_ = (expr);                            \
    ASSERT_TRUE(s_.ok()) << #expr << ": " << s_.ToString(); \
  } while (0)
#define EXPECT_OK(expr)                                     \
  do {                                                      \
    ::cairn::Status s_ = (expr);                            \
    EXPECT_TRUE(s_.ok()) << #expr << ": " << s_.ToString(); \
  } while (0)

#endif  // CAIRN_TESTS_TESTUTIL_H_
