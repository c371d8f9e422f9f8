// Proves the shared Env helpers. PublishFile is atomic and durable: a MemEnv crash frozen
// before each of its sync points (and after its last) leaves the old content or the new one,
// never a mix and never nothing when an old file existed -- durable state only changes at
// sync points, so this sweep covers every crash instant -- and an error sweep with FaultEnv
// shows that every injected failure reaches the caller. ReadWholeFile checks its size bound
// before it allocates or reads (shown with a fake Env whose file claims an absurd size).
// CreateDirDurably makes both the directory and its name durable. Path helpers are checked
// on a table of cases.
#include "env/env_util.h"

#include <gtest/gtest.h>

#include "testsupport/fault_env.h"
#include "testsupport/mem_env.h"
#include "testutil.h"

namespace cairn {
namespace {

std::string Contents(MemEnv* env, const std::string& path) {
  Result<std::string> contents = env->ReadFileContents(path);
  return contents.ok() ? contents.value() : "<missing>";
}

TEST(EnvUtil, JoinPathAddsExactlyOneSeparator) {
  EXPECT_EQ(JoinPath("a/b", "c"), "a/b/c");
  EXPECT_EQ(JoinPath("/a/b/", "c"), "/a/b/c");
  EXPECT_EQ(JoinPath("/", "c"), "/c");
  EXPECT_EQ(JoinPath("", "c"), "c");
}

TEST(EnvUtil, ParentDirReturnsTheDirectoryPart) {
  EXPECT_EQ(ParentDir("/a/b/c"), "/a/b");
  EXPECT_EQ(ParentDir("c"), ".");
  EXPECT_EQ(ParentDir("/c"), "/");
  EXPECT_EQ(ParentDir("/"), "/");
  EXPECT_EQ(ParentDir(""), ".");
  EXPECT_EQ(ParentDir("a/b"), "a");
  EXPECT_EQ(ParentDir("/a/b/"), "/a");
  EXPECT_EQ(ParentDir("/a//b"), "/a");
  EXPECT_EQ(ParentDir("//a"), "/");
}

TEST(PublishFile, WritesTheContentAndLeavesNoTemporary) {
  MemEnv env;
  ASSERT_OK(env.CreateDir("/db"));
  ASSERT_OK(PublishFile(&env, "/db", "CURRENT", "new content"));
  EXPECT_EQ(Contents(&env, "/db/CURRENT"), "new content");
  EXPECT_EQ(env.GetChildren("/db").value(), std::vector<std::string>{"CURRENT"});
  ASSERT_OK(env.SyncDir("/"));
  env.Crash();  // published means durable
  EXPECT_EQ(Contents(&env, "/db/CURRENT"), "new content");
}

TEST(PublishFile, ReplacesAnExistingFile) {
  MemEnv env;
  ASSERT_OK(env.SetFileContentsDurably("/db/CURRENT", "old"));
  ASSERT_OK(PublishFile(&env, "/db", "CURRENT", "new"));
  EXPECT_EQ(Contents(&env, "/db/CURRENT"), "new");
}

TEST(PublishFile, WorksOnThePosixEnv) {
  test::TempDir dir;
  Env* env = Env::Default();
  ASSERT_OK(PublishFile(env, dir.path(), "CURRENT", "one"));
  ASSERT_OK(PublishFile(env, dir.path(), "CURRENT", "two"));
  Result<std::string> contents = ReadWholeFile(env, dir.path() + "/CURRENT", 100);
  ASSERT_OK(contents.status());
  EXPECT_EQ(contents.value(), "two");
  EXPECT_FALSE(env->FileExists(dir.path() + "/CURRENT.tmp").value());
}

// Publishes "new" over `old_content` (or over nothing) with a freeze scheduled before the
// n-th sync point of PublishFile, restarts with `options`, and returns what /db/CURRENT holds.
// *completed says whether PublishFile returned OK.
std::string PublishWithCrash(const std::string* old_content, uint64_t n,
                             const CrashOptions& options, bool* completed) {
  MemEnv env;
  EXPECT_OK(env.CreateDir("/db"));
  EXPECT_OK(env.SyncDir("/db"));
  EXPECT_OK(env.SyncDir("/"));
  if (old_content != nullptr) {
    EXPECT_OK(env.SetFileContentsDurably("/db/CURRENT", *old_content));
  }
  env.ScheduleCrashAtSyncPoint(env.sync_point_count() + n);
  // Large enough to span many torn-write units, so a mix would be visible.
  const std::string new_content(5000, 'N');
  Status s = PublishFile(&env, "/db", "CURRENT", new_content);
  *completed = s.ok();
  if (s.ok()) {
    env.CrashNow();  // a crash right after PublishFile returned
  } else {
    EXPECT_EQ(s.message().find("MemEnv crashed") != std::string::npos, true) << s.ToString();
  }
  env.Restart(options);
  return Contents(&env, "/db/CURRENT");
}

TEST(PublishFile, CrashAtEverySyncPointLeavesTheOldOrTheNewContent) {
  const std::string old_content(3000, 'O');
  const std::string new_content(5000, 'N');
  for (uint64_t seed = 0; seed < 20; ++seed) {
    for (bool torn : {false, true}) {
      bool completed = false;
      for (uint64_t n = 0; !completed; ++n) {
        SCOPED_TRACE("sync point " + std::to_string(n) + " seed " + std::to_string(seed) +
                     (torn ? " torn" : ""));
        ASSERT_LT(n, 10u) << "PublishFile should have few sync points";
        const std::string after =
            PublishWithCrash(&old_content, n, CrashOptions{torn, seed}, &completed);
        if (completed) {
          EXPECT_EQ(after, new_content);  // acknowledged means durable
        } else {
          EXPECT_TRUE(after == old_content || after == new_content) << after.substr(0, 20);
        }
      }
    }
  }
}

TEST(PublishFile, CrashWithoutAnOldFileLeavesNothingOrTheNewContent) {
  const std::string new_content(5000, 'N');
  bool completed = false;
  for (uint64_t n = 0; !completed; ++n) {
    ASSERT_LT(n, 10u);
    const std::string after = PublishWithCrash(nullptr, n, CrashOptions{true, n}, &completed);
    if (completed) {
      EXPECT_EQ(after, new_content);
    } else {
      EXPECT_TRUE(after == "<missing>" || after == new_content) << "sync point " << n;
    }
  }
}

// Injects a failure at each operation of PublishFile in turn. Every injected failure must
// reach the caller; after a crash the file holds the old or the new content.
TEST(PublishFile, EveryInjectedFailureReachesTheCaller) {
  bool clean_run = false;
  for (uint64_t i = 0; !clean_run; ++i) {
    ASSERT_LT(i, 20u) << "PublishFile should have few operations";
    for (FaultFlavour flavour : {FaultFlavour::kEIO, FaultFlavour::kENOSPC}) {
      MemEnv mem;
      ASSERT_OK(mem.SetFileContentsDurably("/db/CURRENT", "old"));
      FaultEnv env(&mem);
      env.SetFlavour(flavour);
      env.FailOperation(env.operation_count() + i);
      Status s = PublishFile(&env, "/db", "CURRENT", "new");
      clean_run = env.injected_count() == 0;
      if (clean_run) {
        ASSERT_OK(s);
      } else {
        EXPECT_FALSE(s.ok()) << "operation " << i;
        EXPECT_EQ(s.IsNoSpace(), flavour == FaultFlavour::kENOSPC) << s.ToString();
        EXPECT_NE(s.message().find("/db/CURRENT"), std::string::npos) << s.ToString();
      }
      mem.Crash();
      const std::string after = Contents(&mem, "/db/CURRENT");
      EXPECT_TRUE(after == "old" || after == "new") << "operation " << i << ": " << after;
      if (clean_run) {
        EXPECT_EQ(after, "new");
      }
    }
  }
}

TEST(ReadWholeFile, ReadsTheWholeFile) {
  MemEnv env;
  const std::string big(100'000, 'z');
  ASSERT_OK(env.SetFileContentsDurably("/f", big));
  Result<std::string> contents = ReadWholeFile(&env, "/f", big.size());  // exactly the limit
  ASSERT_OK(contents.status());
  EXPECT_EQ(contents.value(), big);
  ASSERT_OK(env.SetFileContentsDurably("/empty", ""));
  contents = ReadWholeFile(&env, "/empty", 0);
  ASSERT_OK(contents.status());
  EXPECT_EQ(contents.value(), "");
}

TEST(ReadWholeFile, MissingFileIsNotFound) {
  MemEnv env;
  EXPECT_TRUE(ReadWholeFile(&env, "/nope", 10).status().IsNotFound());
}

TEST(ReadWholeFile, FileOverTheLimitIsCorruption) {
  MemEnv env;
  ASSERT_OK(env.SetFileContentsDurably("/f", "0123456789!"));
  Result<std::string> contents = ReadWholeFile(&env, "/f", 10);
  ASSERT_TRUE(contents.status().IsCorruption()) << contents.status().ToString();
  EXPECT_NE(contents.status().message().find("/f"), std::string::npos);
}

TEST(ReadWholeFile, ReadErrorsAreReported) {
  MemEnv mem;
  ASSERT_OK(mem.SetFileContentsDurably("/f", "abc"));
  FaultEnv env(&mem);
  env.FailKinds(kFaultRead);
  EXPECT_TRUE(ReadWholeFile(&env, "/f", 10).status().IsIOError());
}

// A file that claims to be 2^62 bytes long and fails the test if anyone reads it.
class AbsurdFile final : public ReadableFile {
 public:
  Status Read(uint64_t, size_t, char*, std::string_view*) const override {
    ADD_FAILURE() << "ReadWholeFile read a file that is over its limit";
    return Status::IOError("unexpected read");
  }
  Result<uint64_t> Size() const override { return uint64_t{1} << 62; }
};

// An Env that only opens AbsurdFiles; everything else is unexpected.
class AbsurdFileEnv final : public Env {
 public:
  Result<std::unique_ptr<ReadableFile>> NewReadableFile(const std::string&) override {
    return std::unique_ptr<ReadableFile>(new AbsurdFile);
  }
  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string&) override {
    return Unexpected();
  }
  Result<bool> FileExists(const std::string&) override { return Unexpected(); }
  Result<std::vector<std::string>> GetChildren(const std::string&) override { return Unexpected(); }
  Result<uint64_t> GetFileSize(const std::string&) override { return Unexpected(); }
  Status RemoveFile(const std::string&) override { return Unexpected(); }
  Status RenameFile(const std::string&, const std::string&) override { return Unexpected(); }
  Status LinkFile(const std::string&, const std::string&) override { return Unexpected(); }
  Status CreateDir(const std::string&) override { return Unexpected(); }
  Status RemoveDir(const std::string&) override { return Unexpected(); }
  Status SyncDir(const std::string&) override { return Unexpected(); }
  Status TruncateFile(const std::string&, uint64_t) override { return Unexpected(); }
  Result<std::unique_ptr<FileLock>> LockFile(const std::string&) override { return Unexpected(); }
  uint64_t NowMicros() override { return 0; }
  uint64_t NowMonotonicMicros() override { return 0; }
  void SleepMicros(uint64_t) override {}
  std::thread StartThread(std::function<void()> fn) override { return std::thread(fn); }
  void RandomBytes(void*, size_t) override {}

 private:
  static Status Unexpected() {
    ADD_FAILURE() << "unexpected Env call";
    return Status::NotSupported("unexpected");
  }
};

TEST(ReadWholeFile, SizeOverTheLimitIsRejectedBeforeAllocatingOrReading) {
  AbsurdFileEnv env;
  // Allocating 2^62 bytes first would abort the test with std::bad_alloc or length_error.
  Result<std::string> contents = ReadWholeFile(&env, "/huge", 1u << 20);
  EXPECT_TRUE(contents.status().IsCorruption()) << contents.status().ToString();
}

TEST(CreateDirDurably, DirectoryAndItsNameSurviveACrash) {
  MemEnv env;
  ASSERT_OK(CreateDirDurably(&env, "/db"));
  ASSERT_OK(CreateDirDurably(&env, "/db/checkpoints"));
  env.Crash();
  EXPECT_TRUE(env.FileExists("/db/checkpoints").value());
}

TEST(CreateDirDurably, IsOkForAnExistingDirectoryAndMakesItDurable) {
  MemEnv env;
  ASSERT_OK(env.CreateDir("/db"));  // created, never synced
  ASSERT_OK(CreateDirDurably(&env, "/db"));
  env.Crash();
  EXPECT_TRUE(env.FileExists("/db").value());
}

TEST(CreateDirDurably, CrashBeforeItsLastSyncPointLosesTheDirectory) {
  for (uint64_t n = 0; n < 2; ++n) {
    MemEnv env;
    env.ScheduleCrashAtSyncPoint(n);
    EXPECT_TRUE(CreateDirDurably(&env, "/db").IsIOError());
    env.Restart();
    EXPECT_FALSE(env.FileExists("/db").value()) << "sync point " << n;
  }
}

TEST(CreateDirDurably, MissingParentIsNotFound) {
  MemEnv env;
  EXPECT_TRUE(CreateDirDurably(&env, "/a/b").IsNotFound());
}

}  // namespace
}  // namespace cairn
