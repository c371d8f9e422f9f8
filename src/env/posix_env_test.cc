// Proves that Env::Default() performs real file operations on the local file system with the
// documented error mapping: ENOENT is NotFound, ENOSPC is IOError with IsNoSpace() (shown by
// writing to /dev/full), messages name the operation, the path and the reason; a second lock
// on the same file in this process is Busy whether or not the path is spelled the same; and
// every descriptor is close-on-exec (read back from /proc/self/fdinfo). Each test works in a
// fresh temporary directory.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "cairn/env.h"
#include "testutil.h"

namespace cairn {
namespace {

class PosixEnv : public ::testing::Test {
 protected:
  std::string Path(const std::string& name) const { return dir_.path() + "/" + name; }

  void WriteFile(const std::string& name, std::string_view data) {
    Result<std::unique_ptr<WritableFile>> file = env_->NewWritableFile(Path(name));
    ASSERT_OK(file.status());
    ASSERT_OK(file.value()->Append(data));
    ASSERT_OK(file.value()->Sync());
    ASSERT_OK(file.value()->Close());
  }

  std::string ReadFile(const std::string& name) {
    Result<std::unique_ptr<ReadableFile>> file = env_->NewReadableFile(Path(name));
    EXPECT_OK(file.status());
    if (!file.ok()) {
      return "<error>";
    }
    std::string scratch(1 << 20, '\0');
    std::string_view result;
    EXPECT_OK(file.value()->Read(0, scratch.size(), scratch.data(), &result));
    return std::string(result);
  }

  test::TempDir dir_;
  Env* const env_ = Env::Default();
};

TEST_F(PosixEnv, DefaultIsOneSharedInstance) { EXPECT_EQ(Env::Default(), Env::Default()); }

TEST_F(PosixEnv, WrittenBytesReadBack) {
  WriteFile("f", "hello world");
  EXPECT_EQ(ReadFile("f"), "hello world");
  Result<uint64_t> size = env_->GetFileSize(Path("f"));
  ASSERT_OK(size.status());
  EXPECT_EQ(size.value(), 11u);
  Result<std::unique_ptr<ReadableFile>> file = env_->NewReadableFile(Path("f"));
  ASSERT_OK(file.status());
  char scratch[32];
  std::string_view result;
  ASSERT_OK(file.value()->Read(6, sizeof(scratch), scratch, &result));
  EXPECT_EQ(result, "world");
  ASSERT_OK(file.value()->Read(100, 4, scratch, &result));
  EXPECT_TRUE(result.empty());
  Result<uint64_t> file_size = file.value()->Size();
  ASSERT_OK(file_size.status());
  EXPECT_EQ(file_size.value(), 11u);
}

TEST_F(PosixEnv, LargeAppendIsWrittenCompletely) {
  std::mt19937_64 rng(1);
  const std::string big = test::RandomString(&rng, 8 << 20);
  WriteFile("big", big);
  EXPECT_EQ(ReadFile("big").size(), 1u << 20);  // ReadFile reads at most 1 MiB
  Result<uint64_t> size = env_->GetFileSize(Path("big"));
  ASSERT_OK(size.status());
  EXPECT_EQ(size.value(), big.size());
}

TEST_F(PosixEnv, NewWritableFileTruncatesAnExistingFile) {
  WriteFile("f", "a long first version");
  WriteFile("f", "short");
  EXPECT_EQ(ReadFile("f"), "short");
}

TEST_F(PosixEnv, AppendsGoToTheEndAfterATruncate) {
  Result<std::unique_ptr<WritableFile>> file = env_->NewWritableFile(Path("f"));
  ASSERT_OK(file.status());
  ASSERT_OK(file.value()->Append("0123456789"));
  ASSERT_OK(env_->TruncateFile(Path("f"), 4));
  ASSERT_OK(file.value()->Append("X"));  // no hole where the cut bytes were
  EXPECT_EQ(ReadFile("f"), "0123X");
}

TEST_F(PosixEnv, ClosedFileRejectsWrites) {
  Result<std::unique_ptr<WritableFile>> file = env_->NewWritableFile(Path("f"));
  ASSERT_OK(file.status());
  ASSERT_OK(file.value()->Close());
  ASSERT_OK(file.value()->Close());
  EXPECT_TRUE(file.value()->Append("x").IsIOError());
  EXPECT_TRUE(file.value()->Sync().IsIOError());
}

TEST_F(PosixEnv, MissingPathsAreNotFound) {
  EXPECT_TRUE(env_->NewReadableFile(Path("nope")).status().IsNotFound());
  EXPECT_TRUE(env_->NewWritableFile(Path("nodir/f")).status().IsNotFound());
  EXPECT_TRUE(env_->GetFileSize(Path("nope")).status().IsNotFound());
  EXPECT_TRUE(env_->RemoveFile(Path("nope")).IsNotFound());
  EXPECT_TRUE(env_->RenameFile(Path("nope"), Path("x")).IsNotFound());
  EXPECT_TRUE(env_->GetChildren(Path("nope")).status().IsNotFound());
  EXPECT_TRUE(env_->SyncDir(Path("nope")).IsNotFound());
  EXPECT_TRUE(env_->TruncateFile(Path("nope"), 0).IsNotFound());
  Result<bool> exists = env_->FileExists(Path("nope"));
  ASSERT_OK(exists.status());
  EXPECT_FALSE(exists.value());
}

TEST_F(PosixEnv, ErrorMessagesNameTheOperationPathAndReason) {
  Status s = env_->NewReadableFile(Path("nope")).status();
  EXPECT_EQ(s.message(), "open " + Path("nope") + ": No such file or directory");
  s = env_->RenameFile(Path("a"), Path("b"));
  EXPECT_EQ(s.message(),
            "rename " + Path("a") + " to " + Path("b") + ": No such file or directory");
}

TEST_F(PosixEnv, FullDeviceIsNoSpace) {
  if (!std::filesystem::exists("/dev/full")) {
    GTEST_SKIP() << "no /dev/full";
  }
  Result<std::unique_ptr<WritableFile>> file = env_->NewWritableFile("/dev/full");
  ASSERT_OK(file.status());
  Status s = file.value()->Append("data");
  EXPECT_TRUE(s.IsIOError());
  EXPECT_TRUE(s.IsNoSpace()) << s.ToString();
  EXPECT_NE(s.message().find("/dev/full"), std::string::npos);
}

TEST_F(PosixEnv, DirectoriesAreNotReadableFiles) {
  EXPECT_TRUE(env_->NewReadableFile(dir_.path()).status().IsIOError());
  EXPECT_TRUE(env_->GetFileSize(dir_.path()).status().IsIOError());
}

TEST_F(PosixEnv, GetChildrenListsNamesWithoutDotEntries) {
  WriteFile("a", "");
  WriteFile("b", "");
  ASSERT_OK(env_->CreateDir(Path("sub")));
  Result<std::vector<std::string>> names = env_->GetChildren(dir_.path());
  ASSERT_OK(names.status());
  std::vector<std::string> sorted = names.value();
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, (std::vector<std::string>{"a", "b", "sub"}));
}

TEST_F(PosixEnv, RenameReplacesTheTargetAndRemoveFileUnlinks) {
  WriteFile("a", "A");
  WriteFile("b", "B");
  ASSERT_OK(env_->RenameFile(Path("a"), Path("b")));
  EXPECT_EQ(ReadFile("b"), "A");
  EXPECT_FALSE(env_->FileExists(Path("a")).value());
  ASSERT_OK(env_->RemoveFile(Path("b")));
  EXPECT_FALSE(env_->FileExists(Path("b")).value());
}

TEST_F(PosixEnv, HardLinkSharesData) {
  WriteFile("a", "shared");
  ASSERT_OK(env_->LinkFile(Path("a"), Path("b")));
  ASSERT_OK(env_->RemoveFile(Path("a")));
  EXPECT_EQ(ReadFile("b"), "shared");
  WriteFile("c", "");
  EXPECT_TRUE(env_->LinkFile(Path("b"), Path("c")).IsIOError());  // EEXIST
}

TEST_F(PosixEnv, CreateDirIsIdempotentAndRemoveDirNeedsAnEmptyDirectory) {
  ASSERT_OK(env_->CreateDir(Path("sub")));
  ASSERT_OK(env_->CreateDir(Path("sub")));
  ASSERT_OK(env_->SyncDir(Path("sub")));
  WriteFile("sub/f", "x");
  EXPECT_TRUE(env_->RemoveDir(Path("sub")).IsIOError());
  ASSERT_OK(env_->RemoveFile(Path("sub/f")));
  ASSERT_OK(env_->RemoveDir(Path("sub")));
  EXPECT_FALSE(env_->FileExists(Path("sub")).value());
  WriteFile("file", "");
  EXPECT_TRUE(env_->CreateDir(Path("file")).IsIOError());
  EXPECT_TRUE(env_->SyncDir(Path("file")).IsIOError());  // ENOTDIR
}

TEST_F(PosixEnv, TruncateFileShrinksAndGrows) {
  WriteFile("f", "0123456789");
  ASSERT_OK(env_->TruncateFile(Path("f"), 4));
  EXPECT_EQ(ReadFile("f"), "0123");
  ASSERT_OK(env_->TruncateFile(Path("f"), 6));
  EXPECT_EQ(ReadFile("f"), std::string("0123\0\0", 6));
}

TEST_F(PosixEnv, SecondLockInTheSameProcessIsBusy) {
  Result<std::unique_ptr<FileLock>> lock = env_->LockFile(Path("LOCK"));
  ASSERT_OK(lock.status());
  EXPECT_TRUE(env_->FileExists(Path("LOCK")).value());
  Result<std::unique_ptr<FileLock>> second = env_->LockFile(Path("LOCK"));
  ASSERT_TRUE(second.status().IsBusy()) << second.status().ToString();
  EXPECT_NE(second.status().message().find("in use"), std::string::npos);
  EXPECT_NE(second.status().message().find(Path("LOCK")), std::string::npos);
  // Another spelling of the same file misses the in-process set; flock(2) still refuses.
  const std::string other_spelling = dir_.path() + "//LOCK";
  Result<std::unique_ptr<FileLock>> third = env_->LockFile(other_spelling);
  ASSERT_TRUE(third.status().IsBusy()) << third.status().ToString();
  EXPECT_NE(third.status().message().find(other_spelling), std::string::npos);
}

TEST_F(PosixEnv, DestroyingALockReleasesIt) {
  ASSERT_OK(env_->LockFile(Path("LOCK")).status());  // the temporary lock dies at once
  Result<std::unique_ptr<FileLock>> lock = env_->LockFile(Path("LOCK"));
  ASSERT_OK(lock.status());
  lock.value().reset();
  ASSERT_OK(env_->LockFile(Path("LOCK")).status());
}

TEST_F(PosixEnv, LockInAMissingDirectoryIsNotFound) {
  EXPECT_TRUE(env_->LockFile(Path("nodir/LOCK")).status().IsNotFound());
}

// The descriptors this process has open, from /proc/self/fd.
std::set<std::string> OpenDescriptors() {
  std::set<std::string> fds;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    fds.insert(entry.path().filename().string());
  }
  return fds;
}

// The open flags of descriptor `fd` (octal in /proc/self/fdinfo), or -1 if it is gone.
long DescriptorFlags(const std::string& fd) {
  std::ifstream info("/proc/self/fdinfo/" + fd);
  std::string key;
  while (info >> key) {
    if (key == "flags:") {
      std::string value;
      info >> value;
      return std::stol(value, nullptr, 8);
    }
  }
  return -1;
}

TEST_F(PosixEnv, DescriptorsAreCloseOnExec) {
  if (!std::filesystem::exists("/proc/self/fdinfo")) {
    GTEST_SKIP() << "no /proc";
  }
  constexpr long kCloseOnExec = 02000000;  // O_CLOEXEC as /proc prints it on Linux
  WriteFile("f", "x");
  const std::set<std::string> before = OpenDescriptors();
  Result<std::unique_ptr<WritableFile>> writer = env_->NewWritableFile(Path("w"));
  Result<std::unique_ptr<ReadableFile>> reader = env_->NewReadableFile(Path("f"));
  Result<std::unique_ptr<FileLock>> lock = env_->LockFile(Path("LOCK"));
  ASSERT_OK(writer.status());
  ASSERT_OK(reader.status());
  ASSERT_OK(lock.status());
  std::vector<std::string> opened;
  for (const std::string& fd : OpenDescriptors()) {
    if (before.count(fd) == 0) {
      opened.push_back(fd);
    }
  }
  ASSERT_GE(opened.size(), 3u);
  for (const std::string& fd : opened) {
    const long flags = DescriptorFlags(fd);
    if (flags < 0) {
      continue;  // the directory_iterator's own descriptor, already closed
    }
    EXPECT_NE(flags & kCloseOnExec, 0) << "descriptor " << fd;
  }
}

TEST_F(PosixEnv, ConcurrentReadsOfOneFileAreSafe) {
  std::string data;
  for (int i = 0; i < 10000; ++i) {
    data += std::to_string(i % 10);
  }
  WriteFile("f", data);
  Result<std::unique_ptr<ReadableFile>> file = env_->NewReadableFile(Path("f"));
  ASSERT_OK(file.status());
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0};
  for (int t = 0; t < 4; ++t) {
    threads.push_back(env_->StartThread([&, t] {
      char scratch[100];
      for (int i = 0; i < 200; ++i) {
        const uint64_t offset = (t * 977 + i * 131) % (data.size() - 100);
        std::string_view result;
        if (!file.value()->Read(offset, sizeof(scratch), scratch, &result).ok() ||
            result != std::string_view(data).substr(offset, 100)) {
          mismatches.fetch_add(1);
        }
      }
    }));
  }
  for (std::thread& t : threads) {
    t.join();
  }
  EXPECT_EQ(mismatches.load(), 0);
}

TEST_F(PosixEnv, ClocksThreadsAndRandomBytesWork) {
  Env* env = Env::Default();
  const uint64_t before = env->NowMonotonicMicros();
  env->SleepMicros(2000);
  EXPECT_GE(env->NowMonotonicMicros(), before + 2000);
  EXPECT_GT(env->NowMicros(), 1'600'000'000'000'000u);  // after 2020
  unsigned char a[16] = {};
  unsigned char b[16] = {};
  env->RandomBytes(a, sizeof(a));
  env->RandomBytes(b, sizeof(b));
  EXPECT_FALSE(std::equal(a, a + 16, b));
  bool ran = false;
  std::thread t = env->StartThread([&] { ran = true; });
  t.join();
  EXPECT_TRUE(ran);
}

}  // namespace
}  // namespace cairn
