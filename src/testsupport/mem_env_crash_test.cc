// Proves MemEnv's two-phase crash: after a freeze (CrashNow, or a scheduled sync point)
// every operation fails with IOError("MemEnv crashed") and changes nothing, a scheduled
// freeze happens exactly before the chosen sync point, Restart returns to the durable state
// with fresh inodes so handles and locks from before the crash cannot touch the new state,
// and all of this holds with threads racing the freeze. Each test runs a short scripted
// workload, freezes, restarts and inspects the result.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "testsupport/mem_env.h"
#include "testutil.h"

namespace cairn {
namespace {

bool IsCrashedError(const Status& s) { return s.IsIOError() && s.message() == "MemEnv crashed"; }

std::string Contents(MemEnv* env, const std::string& path) {
  Result<std::string> contents = env->ReadFileContents(path);
  return contents.ok() ? contents.value() : "<missing>";
}

// The workload for the sync-point tests. Sync points, in order:
//   0 SyncDir("/")    makes /d durable
//   1 f->Sync()       makes "one" durable (f's name is not yet)
//   2 SyncDir("/d")   makes f's name durable
//   3 f->Sync()       makes "onetwo" durable
//   4 TruncateFile    makes "one" durable again
// Returns the first failure, and in *failed_step the sync point it failed at (-1 if none).
Status SyncPointWorkload(MemEnv* env, int* failed_step) {
  *failed_step = -1;
  CAIRN_RETURN_IF_ERROR(env->CreateDir("/d"));
  *failed_step = 0;
  CAIRN_RETURN_IF_ERROR(env->SyncDir("/"));
  Result<std::unique_ptr<WritableFile>> file = env->NewWritableFile("/d/f");
  CAIRN_RETURN_IF_ERROR(file.status());
  CAIRN_RETURN_IF_ERROR(file.value()->Append("one"));
  *failed_step = 1;
  CAIRN_RETURN_IF_ERROR(file.value()->Sync());
  *failed_step = 2;
  CAIRN_RETURN_IF_ERROR(env->SyncDir("/d"));
  CAIRN_RETURN_IF_ERROR(file.value()->Append("two"));
  *failed_step = 3;
  CAIRN_RETURN_IF_ERROR(file.value()->Sync());
  *failed_step = 4;
  CAIRN_RETURN_IF_ERROR(env->TruncateFile("/d/f", 3));
  *failed_step = -1;
  return file.value()->Close();
}

// What the workload leaves durable when it freezes before sync point `n`.
std::string ExpectedAfterFreezeAt(int n) {
  switch (n) {
    case 0:
      return "no /d";
    case 1:
    case 2:
      return "/d empty";
    case 3:
      return "f=one";
    case 4:
      return "f=onetwo";
    default:
      return "f=one";
  }
}

std::string Describe(MemEnv* env) {
  Result<bool> d = env->FileExists("/d");
  if (!d.ok() || !d.value()) {
    return "no /d";
  }
  Result<bool> f = env->FileExists("/d/f");
  if (!f.ok() || !f.value()) {
    return "/d empty";
  }
  return "f=" + Contents(env, "/d/f");
}

TEST(MemEnv, ScheduleCrashAtSyncPointFreezesExactlyBeforeThatSyncPoint) {
  constexpr int kSyncPoints = 5;
  for (int n = 0; n <= kSyncPoints; ++n) {
    SCOPED_TRACE("sync point " + std::to_string(n));
    MemEnv env;
    env.ScheduleCrashAtSyncPoint(n);
    int failed_step = 0;
    Status s = SyncPointWorkload(&env, &failed_step);
    if (n == kSyncPoints) {
      ASSERT_OK(s);  // the workload has only kSyncPoints sync points
      EXPECT_FALSE(env.crashed());
      env.CrashNow();
    } else {
      EXPECT_TRUE(IsCrashedError(s)) << s.ToString();
      EXPECT_EQ(failed_step, n);
      EXPECT_TRUE(env.crashed());
    }
    EXPECT_EQ(env.sync_point_count(), static_cast<uint64_t>(n));
    env.Restart();
    EXPECT_FALSE(env.crashed());
    EXPECT_EQ(Describe(&env), ExpectedAfterFreezeAt(n));
  }
}

TEST(MemEnv, SyncPointsAreSyncSyncDirAndTruncateOnly) {
  MemEnv env;
  ASSERT_OK(env.CreateDir("/d"));
  Result<std::unique_ptr<WritableFile>> file = env.NewWritableFile("/d/f");
  ASSERT_OK(file.status());
  ASSERT_OK(file.value()->Append("x"));
  ASSERT_OK(env.RenameFile("/d/f", "/d/g"));
  ASSERT_OK(env.LinkFile("/d/g", "/d/h"));
  ASSERT_OK(env.RemoveFile("/d/h"));
  EXPECT_EQ(env.sync_point_count(), 0u);
  ASSERT_OK(file.value()->Sync());
  ASSERT_OK(env.SyncDir("/d"));
  ASSERT_OK(env.TruncateFile("/d/g", 0));
  EXPECT_EQ(env.sync_point_count(), 3u);
  EXPECT_TRUE(env.SyncDir("/missing").IsNotFound());  // a failed sync point still counts
  EXPECT_EQ(env.sync_point_count(), 4u);
}

TEST(MemEnv, ScheduledIndexAlreadyPassedFreezesAtTheNextSyncPoint) {
  MemEnv env;
  ASSERT_OK(env.SyncDir("/"));
  ASSERT_OK(env.SyncDir("/"));
  env.ScheduleCrashAtSyncPoint(1);
  ASSERT_OK(env.CreateDir("/d"));  // not a sync point
  EXPECT_FALSE(env.crashed());
  EXPECT_TRUE(IsCrashedError(env.SyncDir("/")));
  EXPECT_TRUE(env.crashed());
  EXPECT_EQ(env.sync_point_count(), 2u);
}

// Every Env and file-object operation, as a list of closures returning their Status.
std::vector<std::pair<std::string, std::function<Status()>>> AllOperations(MemEnv* env,
                                                                           WritableFile* writer,
                                                                           ReadableFile* reader) {
  return {
      {"NewWritableFile", [=] { return env->NewWritableFile("/d/new").status(); }},
      {"NewReadableFile", [=] { return env->NewReadableFile("/d/f").status(); }},
      {"FileExists", [=] { return env->FileExists("/d/f").status(); }},
      {"GetChildren", [=] { return env->GetChildren("/d").status(); }},
      {"GetFileSize", [=] { return env->GetFileSize("/d/f").status(); }},
      {"RemoveFile", [=] { return env->RemoveFile("/d/f"); }},
      {"RenameFile", [=] { return env->RenameFile("/d/f", "/d/g"); }},
      {"LinkFile", [=] { return env->LinkFile("/d/f", "/d/h"); }},
      {"CreateDir", [=] { return env->CreateDir("/d/sub"); }},
      {"RemoveDir", [=] { return env->RemoveDir("/d/empty"); }},
      {"SyncDir", [=] { return env->SyncDir("/d"); }},
      {"TruncateFile", [=] { return env->TruncateFile("/d/f", 1); }},
      {"LockFile", [=] { return env->LockFile("/d/LOCK").status(); }},
      {"Append", [=] { return writer->Append("more"); }},
      {"Sync", [=] { return writer->Sync(); }},
      {"Close", [=] { return writer->Close(); }},
      {"Read",
       [=] {
         char scratch[8];
         std::string_view result;
         return reader->Read(0, sizeof(scratch), scratch, &result);
       }},
      {"Size", [=] { return reader->Size().status(); }},
  };
}

TEST(MemEnv, AfterAFreezeEveryOperationFailsAndChangesNothing) {
  MemEnv env;
  ASSERT_OK(env.CreateDir("/d"));
  ASSERT_OK(env.CreateDir("/d/empty"));
  Result<std::unique_ptr<WritableFile>> writer = env.NewWritableFile("/d/f");
  ASSERT_OK(writer.status());
  ASSERT_OK(writer.value()->Append("unsynced"));
  Result<std::unique_ptr<ReadableFile>> reader = env.NewReadableFile("/d/f");
  ASSERT_OK(reader.status());
  env.CrashNow();
  const uint64_t sync_points = env.sync_point_count();
  for (auto& [name, op] : AllOperations(&env, writer.value().get(), reader.value().get())) {
    Status s = op();
    EXPECT_TRUE(IsCrashedError(s)) << name << ": " << s.ToString();
  }
  EXPECT_EQ(env.sync_point_count(), sync_points);
  // Nothing changed, not even the non-durable state: every name and byte is as it was.
  EXPECT_EQ(Contents(&env, "/d/f"), "unsynced");
  EXPECT_EQ(Contents(&env, "/d/new"), "<missing>");
  EXPECT_EQ(Contents(&env, "/d/LOCK"), "<missing>");
  // And the Syncs and SyncDirs that failed made nothing durable.
  writer.value().reset();
  reader.value().reset();
  env.Restart();
  EXPECT_EQ(Describe(&env), "no /d");
}

TEST(MemEnv, OldFileHandlesCannotModifyStateAfterRestart) {
  MemEnv env;
  ASSERT_OK(env.CreateDir("/d"));
  ASSERT_OK(env.SyncDir("/"));
  Result<std::unique_ptr<WritableFile>> writer = env.NewWritableFile("/d/f");
  ASSERT_OK(writer.status());
  ASSERT_OK(env.SyncDir("/d"));
  ASSERT_OK(writer.value()->Append("before"));
  ASSERT_OK(writer.value()->Sync());
  Result<std::unique_ptr<ReadableFile>> reader = env.NewReadableFile("/d/f");
  ASSERT_OK(reader.status());
  env.Crash();  // the old handles are still alive: a leaked DB object
  const uint64_t sync_points = env.sync_point_count();
  EXPECT_TRUE(writer.value()->Append("after").IsIOError());
  EXPECT_TRUE(writer.value()->Sync().IsIOError());
  EXPECT_TRUE(writer.value()->Close().IsIOError());
  char scratch[16];
  std::string_view result;
  EXPECT_TRUE(reader.value()->Read(0, sizeof(scratch), scratch, &result).IsIOError());
  EXPECT_TRUE(reader.value()->Size().status().IsIOError());
  EXPECT_EQ(Contents(&env, "/d/f"), "before");
  // A new handle works on the new inode, and the stale one still cannot reach it.
  Result<std::unique_ptr<WritableFile>> fresh = env.NewWritableFile("/d/f");
  ASSERT_OK(fresh.status());
  ASSERT_OK(fresh.value()->Append("new"));
  EXPECT_TRUE(writer.value()->Append("stale").IsIOError());
  EXPECT_EQ(Contents(&env, "/d/f"), "new");
  EXPECT_EQ(env.sync_point_count(), sync_points);  // a stale Sync is not a sync point
}

TEST(MemEnv, LockOnAHeldPathIsBusyUntilReleased) {
  MemEnv env;
  ASSERT_OK(env.CreateDir("/db"));
  Result<std::unique_ptr<FileLock>> lock = env.LockFile("/db/LOCK");
  ASSERT_OK(lock.status());
  EXPECT_EQ(Contents(&env, "/db/LOCK"), "");  // locking creates the file
  Result<std::unique_ptr<FileLock>> second = env.LockFile("/db//LOCK");
  ASSERT_TRUE(second.status().IsBusy()) << second.status().ToString();
  EXPECT_NE(second.status().message().find("in use"), std::string::npos);
  EXPECT_NE(second.status().message().find("/db//LOCK"), std::string::npos);
  lock.value().reset();
  ASSERT_OK(env.LockFile("/db/LOCK").status());  // the temporary is released at once
}

TEST(MemEnv, RestartReleasesLocks) {
  MemEnv env;
  ASSERT_OK(env.CreateDir("/db"));
  ASSERT_OK(env.SyncDir("/"));
  Result<std::unique_ptr<FileLock>> old_lock = env.LockFile("/db/LOCK");
  ASSERT_OK(old_lock.status());
  env.Crash();
  Result<std::unique_ptr<FileLock>> new_lock = env.LockFile("/db/LOCK");
  ASSERT_OK(new_lock.status());
  // The old DB's lock object dies late; that must not release the new DB's lock.
  old_lock.value().reset();
  EXPECT_TRUE(env.LockFile("/db/LOCK").status().IsBusy());
}

TEST(MemEnv, TestHelpersWorkWhileFrozen) {
  MemEnv env;
  ASSERT_OK(env.SetFileContentsDurably("/d/f", "abc"));
  env.CrashNow();
  ASSERT_OK(env.CorruptByte("/d/f", 0, 0x20));
  Result<std::string> contents = env.ReadFileContents("/d/f");
  ASSERT_OK(contents.status());
  EXPECT_EQ(contents.value(), "Abc");
  env.Restart();
  EXPECT_EQ(Contents(&env, "/d/f"), "Abc");
}

// Writers append and sync concurrently while the main thread freezes the env. Each writer
// remembers the bytes of its last successful Sync; after the restart, every file must hold
// exactly those bytes, and every failure a writer saw must be the crash.
TEST(MemEnv, ConcurrentWritersRacingAFreezeKeepExactlyTheirAcknowledgedBytes) {
  constexpr int kWriters = 4;
  MemEnv env;
  ASSERT_OK(env.CreateDir("/d"));
  std::vector<std::unique_ptr<WritableFile>> files;
  for (int i = 0; i < kWriters; ++i) {
    Result<std::unique_ptr<WritableFile>> file = env.NewWritableFile("/d/f" + std::to_string(i));
    ASSERT_OK(file.status());
    files.push_back(std::move(file).value());
  }
  ASSERT_OK(env.SyncDir("/d"));
  ASSERT_OK(env.SyncDir("/"));
  std::vector<std::string> acknowledged(kWriters);
  std::vector<Status> errors(kWriters);
  std::atomic<int> syncs{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kWriters; ++i) {
    threads.push_back(env.StartThread([&, i] {
      std::string written;
      for (int n = 0;; ++n) {
        std::string chunk = std::to_string(i) + ":" + std::to_string(n) + ";";
        Status s = files[i]->Append(chunk);
        if (s.ok()) {
          written += chunk;
          s = files[i]->Sync();
        }
        if (!s.ok()) {
          errors[i] = s;
          return;
        }
        acknowledged[i] = written;
        syncs.fetch_add(1);
      }
    }));
  }
  while (syncs.load() < 200) {
    env.SleepMicros(100);
  }
  env.CrashNow();
  for (std::thread& t : threads) {
    t.join();
  }
  files.clear();
  env.Restart();
  for (int i = 0; i < kWriters; ++i) {
    EXPECT_TRUE(IsCrashedError(errors[i])) << errors[i].ToString();
    EXPECT_EQ(Contents(&env, "/d/f" + std::to_string(i)), acknowledged[i]);
  }
}

TEST(MemEnv, ClockAndRandomBytesWork) {
  MemEnv env;
  const uint64_t before = env.NowMonotonicMicros();
  env.SleepMicros(1000);
  EXPECT_GE(env.NowMonotonicMicros(), before + 1000);
  EXPECT_GT(env.NowMicros(), 1'600'000'000'000'000u);  // after 2020
  unsigned char a[16] = {};
  unsigned char b[16] = {};
  env.RandomBytes(a, sizeof(a));
  env.RandomBytes(b, sizeof(b));
  EXPECT_NE(std::string(reinterpret_cast<char*>(a), 16),
            std::string(reinterpret_cast<char*>(b), 16));
  bool ran = false;
  std::thread t = env.StartThread([&] { ran = true; });
  t.join();
  EXPECT_TRUE(ran);
}

}  // namespace
}  // namespace cairn
