#include "testutil.h"

#include <algorithm>
#include <cstdio>
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

namespace {

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
constexpr double kDefaultTestScale = 0.25;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
constexpr double kDefaultTestScale = 0.25;
#else
constexpr double kDefaultTestScale = 1.0;
#endif
#else
constexpr double kDefaultTestScale = 1.0;
#endif

}  // namespace

double TestScale() {
  const char* env = std::getenv("CAIRN_TEST_SCALE");
  double scale = env != nullptr ? std::strtod(env, nullptr) : kDefaultTestScale;
  return scale > 0 ? scale : kDefaultTestScale;
}

int Scaled(int n) { return std::max(4, static_cast<int>(n * TestScale())); }

std::string Key(int i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "key%06d", i);
  return buf;
}

std::string Value(int i, int version, size_t size) {
  std::string value = "v" + std::to_string(version) + "-" + std::to_string(i) + "-";
  value.resize(std::max(size, value.size()), static_cast<char>('a' + (i + version) % 26));
  return value;
}

std::optional<FileType> FileTypeOf(std::string_view path) {
  size_t slash = path.rfind('/');
  std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  FileType type;
  uint64_t number = 0;
  if (!ParseFileName(name, &type, &number)) {
    return std::nullopt;
  }
  return type;
}

std::string NewestWalName(const std::vector<std::string>& names) {
  std::string newest;
  uint64_t newest_number = 0;
  for (const std::string& name : names) {
    FileType type;
    uint64_t number = 0;
    if (ParseFileName(name, &type, &number) && type == FileType::kWal &&
        (newest.empty() || number > newest_number)) {
      newest = name;
      newest_number = number;
    }
  }
  return newest;
}

}  // namespace cairn::test
