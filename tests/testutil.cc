#include "testutil.h"

#include <cstdlib>
#include <filesystem>

namespace cairn::test {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/cairn-test-XXXXXX";
  char* made = ::mkdtemp(pattern.data());
  if (made == nullptr) {
    std::abort();  // tests cannot run without a scratch directory
  }
  path_ = made;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

uint64_t TestSeed() {
  if (const char* env = std::getenv("CAIRN_TEST_SEED"); env != nullptr) {
    return std::strtoull(env, nullptr, 10);
  }
  return std::random_device{}() ^ (static_cast<uint64_t>(std::random_device{}()) << 32);
}

std::string RandomString(std::mt19937_64* rng, size_t length) {
  std::string s(length, ' ');
  for (char& c : s) {
    c = static_cast<char>('!' + (*rng)() % 94);
  }
  return s;
}

}  // namespace cairn::test
