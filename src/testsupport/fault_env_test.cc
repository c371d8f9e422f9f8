// Proves that FaultEnv counts every operation (file-object operations included) with the
// documented kind, that each rule -- index, kind, path, seeded random -- fails exactly the
// operations it selects, that an injected failure has no side effect on the base Env, and
// that the ENOSPC flavour is recognisable with IsNoSpace(). The base is a MemEnv, so a test
// can look behind FaultEnv at what really happened, and crash it to see what became durable.
#include "testsupport/fault_env.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <thread>
#include <vector>

#include "testsupport/mem_env.h"
#include "testutil.h"

namespace cairn {
namespace {

bool IsInjected(const Status& s) {
  return s.IsIOError() && s.message().find("FaultEnv: injected") != std::string::npos;
}

// Gives the MemEnv under test a durable /d holding the file /d/f ("data") and the empty
// directory /d/empty.
void SetUpFiles(MemEnv* mem) {
  ASSERT_OK(mem->SetFileContentsDurably("/d/f", "data"));
  ASSERT_OK(mem->CreateDir("/d/empty"));
  ASSERT_OK(mem->SyncDir("/d"));
}

struct Operation {
  const char* name;
  uint32_t kind;
  std::function<Status()> run;
};

// Every counted operation with the kind the header documents. `writer` and `reader` are
// open on /d/f; each operation succeeds when no fault is armed.
std::vector<Operation> AllOperations(Env* env, WritableFile* writer, ReadableFile* reader) {
  return {
      {"NewWritableFile", kFaultOpen, [=] { return env->NewWritableFile("/d/w").status(); }},
      {"NewReadableFile", kFaultOpen, [=] { return env->NewReadableFile("/d/f").status(); }},
      {"LockFile", kFaultOpen, [=] { return env->LockFile("/d/LOCK").status(); }},
      {"Read", kFaultRead,
       [=] {
         char scratch[8];
         std::string_view result;
         return reader->Read(0, sizeof(scratch), scratch, &result);
       }},
      {"Size", kFaultRead, [=] { return reader->Size().status(); }},
      {"GetChildren", kFaultRead, [=] { return env->GetChildren("/d").status(); }},
      {"GetFileSize", kFaultRead, [=] { return env->GetFileSize("/d/f").status(); }},
      {"FileExists", kFaultRead, [=] { return env->FileExists("/d/f").status(); }},
      {"Append", kFaultWrite, [=] { return writer->Append("x"); }},
      {"Sync", kFaultSync, [=] { return writer->Sync(); }},
      {"TruncateFile", kFaultSync, [=] { return env->TruncateFile("/d/f", 2); }},
      {"SyncDir", kFaultDirSync, [=] { return env->SyncDir("/d"); }},
      {"LinkFile", kFaultRename, [=] { return env->LinkFile("/d/f", "/d/link"); }},
      {"RenameFile", kFaultRename, [=] { return env->RenameFile("/d/link", "/d/moved"); }},
      {"RemoveFile", kFaultUnlink, [=] { return env->RemoveFile("/d/moved"); }},
      {"RemoveDir", kFaultUnlink, [=] { return env->RemoveDir("/d/empty"); }},
      {"CreateDir", kFaultCreateDir, [=] { return env->CreateDir("/d/empty"); }},
      {"Close", kFaultClose, [=] { return writer->Close(); }},
  };
}

TEST(FaultEnv, ForwardsAndCountsEveryOperationWhenNoRuleIsArmed) {
  MemEnv mem;
  FaultEnv env(&mem);
  ASSERT_NO_FATAL_FAILURE(SetUpFiles(&mem));
  Result<std::unique_ptr<WritableFile>> writer = env.NewWritableFile("/d/f");
  ASSERT_OK(writer.status());
  Result<std::unique_ptr<ReadableFile>> reader = env.NewReadableFile("/d/f");
  ASSERT_OK(reader.status());
  const uint64_t before = env.operation_count();
  EXPECT_EQ(before, 2u);
  std::vector<Operation> ops = AllOperations(&env, writer.value().get(), reader.value().get());
  for (const Operation& op : ops) {
    EXPECT_OK(op.run());
  }
  EXPECT_EQ(env.operation_count(), before + ops.size());
  EXPECT_EQ(env.injected_count(), 0u);
  // The operations really reached the MemEnv.
  Result<std::string> contents = mem.ReadFileContents("/d/f");
  ASSERT_OK(contents.status());
  EXPECT_EQ(contents.value(), std::string("x\0", 2));
  EXPECT_TRUE(mem.FileExists("/d/w").value());
  EXPECT_FALSE(mem.FileExists("/d/moved").value());
  // Clock, sleep, threads and random bytes cannot fail and are not counted.
  const uint64_t counted = env.operation_count();
  (void)env.NowMicros();
  (void)env.NowMonotonicMicros();
  env.SleepMicros(1);
  char bytes[4];
  env.RandomBytes(bytes, sizeof(bytes));
  env.StartThread([] {}).join();
  EXPECT_EQ(env.operation_count(), counted);
}

TEST(FaultEnv, EachOperationHasItsDocumentedKind) {
  for (size_t i = 0; i < 18; ++i) {
    for (bool armed_on_own_kind : {true, false}) {
      MemEnv mem;
      FaultEnv env(&mem);
      ASSERT_NO_FATAL_FAILURE(SetUpFiles(&mem));
      auto writer = env.NewWritableFile("/d/f");
      auto reader = env.NewReadableFile("/d/f");
      ASSERT_OK(writer.status());
      ASSERT_OK(reader.status());
      std::vector<Operation> ops = AllOperations(&env, writer.value().get(), reader.value().get());
      ASSERT_EQ(ops.size(), 18u);
      // Run the operations before i unarmed, so i sees the state it expects.
      for (size_t j = 0; j < i; ++j) {
        ASSERT_OK(ops[j].run());
      }
      const Operation& op = ops[i];
      env.FailKinds(armed_on_own_kind ? op.kind : (kAllFaultKinds & ~op.kind));
      Status s = op.run();
      EXPECT_EQ(IsInjected(s), armed_on_own_kind) << op.name << ": " << s.ToString();
      if (!armed_on_own_kind) {
        EXPECT_OK(s);
      }
    }
  }
}

TEST(FaultEnv, FailOperationFailsExactlyThatGlobalIndex) {
  MemEnv mem;
  FaultEnv env(&mem);
  ASSERT_NO_FATAL_FAILURE(SetUpFiles(&mem));
  const uint64_t start = env.operation_count();
  env.FailOperation(start + 2);
  std::vector<bool> failed;
  for (int i = 0; i < 5; ++i) {
    failed.push_back(IsInjected(env.FileExists("/d/f").status()));
  }
  EXPECT_EQ(failed, (std::vector<bool>{false, false, true, false, false}));
  EXPECT_EQ(env.injected_count(), 1u);
  EXPECT_EQ(env.operation_count(), start + 5);
}

TEST(FaultEnv, FailOperationWithAKindMaskSkipsOtherKinds) {
  MemEnv mem;
  FaultEnv env(&mem);
  ASSERT_NO_FATAL_FAILURE(SetUpFiles(&mem));
  const uint64_t start = env.operation_count();
  env.FailOperation(start, kFaultSync);
  EXPECT_OK(env.FileExists("/d/f").status());  // index matches, kind does not
  env.FailOperation(start + 1, kFaultSync);
  EXPECT_TRUE(IsInjected(env.TruncateFile("/d/f", 1)));
  EXPECT_EQ(env.injected_count(), 1u);
}

TEST(FaultEnv, FailKindsFailsEveryOperationOfThoseKinds) {
  MemEnv mem;
  FaultEnv env(&mem);
  ASSERT_NO_FATAL_FAILURE(SetUpFiles(&mem));
  env.FailKinds(kFaultSync | kFaultDirSync);
  Result<std::unique_ptr<WritableFile>> file = env.NewWritableFile("/d/g");
  ASSERT_OK(file.status());
  ASSERT_OK(file.value()->Append("abc"));
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(IsInjected(file.value()->Sync()));
    EXPECT_TRUE(IsInjected(env.SyncDir("/d")));
  }
  EXPECT_EQ(env.injected_count(), 6u);
}

TEST(FaultEnv, FailPathMatchesASubstringOfEitherPath) {
  MemEnv mem;
  FaultEnv env(&mem);
  ASSERT_NO_FATAL_FAILURE(SetUpFiles(&mem));
  Result<std::unique_ptr<WritableFile>> manifest = env.NewWritableFile("/d/MANIFEST-000001");
  ASSERT_OK(manifest.status());
  env.FailPath("MANIFEST");
  EXPECT_TRUE(IsInjected(env.NewWritableFile("/d/MANIFEST-000002").status()));
  EXPECT_OK(env.NewWritableFile("/d/CURRENT").status());
  // A file object carries the path it was opened with.
  EXPECT_TRUE(IsInjected(manifest.value()->Append("edit")));
  EXPECT_TRUE(IsInjected(env.RenameFile("/d/CURRENT", "/d/MANIFEST")));
  EXPECT_TRUE(IsInjected(env.RenameFile("/d/MANIFEST-000001", "/d/x")));
  EXPECT_OK(env.RenameFile("/d/CURRENT", "/d/x"));
}

TEST(FaultEnv, FailPathWithAKindMaskFailsOnlyThoseKinds) {
  MemEnv mem;
  FaultEnv env(&mem);
  ASSERT_NO_FATAL_FAILURE(SetUpFiles(&mem));
  env.FailPath(".wal", kFaultSync);
  Result<std::unique_ptr<WritableFile>> wal = env.NewWritableFile("/d/000007.wal");
  ASSERT_OK(wal.status());
  EXPECT_OK(wal.value()->Append("record"));
  EXPECT_TRUE(IsInjected(wal.value()->Sync()));
  EXPECT_OK(env.SyncDir("/d"));
}

// The failure pattern of `count` FileExists calls under FailRandomly(one_in, seed).
std::vector<bool> RandomPattern(uint32_t one_in, uint64_t seed, int count) {
  MemEnv mem;
  FaultEnv env(&mem);
  env.FailRandomly(one_in, seed);
  std::vector<bool> pattern;
  for (int i = 0; i < count; ++i) {
    pattern.push_back(IsInjected(env.FileExists("/x").status()));
  }
  return pattern;
}

TEST(FaultEnv, FailRandomlyReplaysExactlyFromItsSeed) {
  const uint64_t seed = test::TestSeed();
  SCOPED_TRACE("CAIRN_TEST_SEED=" + std::to_string(seed));
  const std::vector<bool> first = RandomPattern(4, seed, 2000);
  EXPECT_EQ(RandomPattern(4, seed, 2000), first);
  EXPECT_NE(RandomPattern(4, seed + 1, 2000), first);
  const auto failures = std::count(first.begin(), first.end(), true);
  EXPECT_GT(failures, 350);  // about 1 in 4 of 2000
  EXPECT_LT(failures, 650);
  const std::vector<bool> always = RandomPattern(1, seed, 50);
  EXPECT_EQ(std::count(always.begin(), always.end(), true), 50);
}

TEST(FaultEnv, FailRandomlyWithAKindMaskNeverFailsOtherKinds) {
  MemEnv mem;
  FaultEnv env(&mem);
  ASSERT_NO_FATAL_FAILURE(SetUpFiles(&mem));
  env.FailRandomly(1, 42, kFaultWrite);
  EXPECT_OK(env.FileExists("/d/f").status());
  Result<std::unique_ptr<WritableFile>> file = env.NewWritableFile("/d/g");
  ASSERT_OK(file.status());
  EXPECT_TRUE(IsInjected(file.value()->Append("x")));
}

TEST(FaultEnv, NoSpaceFlavourSetsIsNoSpace) {
  MemEnv mem;
  FaultEnv env(&mem);
  ASSERT_NO_FATAL_FAILURE(SetUpFiles(&mem));
  env.FailKinds(kFaultWrite);
  Result<std::unique_ptr<WritableFile>> file = env.NewWritableFile("/d/g");
  ASSERT_OK(file.status());
  Status eio = file.value()->Append("x");
  EXPECT_TRUE(eio.IsIOError());
  EXPECT_FALSE(eio.IsNoSpace());
  env.SetFlavour(FaultFlavour::kENOSPC);
  Status enospc = file.value()->Append("x");
  EXPECT_TRUE(enospc.IsIOError());
  EXPECT_TRUE(enospc.IsNoSpace()) << enospc.ToString();
}

TEST(FaultEnv, InjectedErrorsNameTheOperationAndPath) {
  MemEnv mem;
  FaultEnv env(&mem);
  ASSERT_NO_FATAL_FAILURE(SetUpFiles(&mem));
  env.FailKinds(kFaultRename);
  Status s = env.RenameFile("/d/f", "/d/g");
  EXPECT_NE(s.message().find("rename"), std::string::npos) << s.ToString();
  EXPECT_NE(s.message().find("/d/f"), std::string::npos) << s.ToString();
  EXPECT_NE(s.message().find("/d/g"), std::string::npos) << s.ToString();
}

TEST(FaultEnv, InjectedFailuresHaveNoSideEffects) {
  MemEnv mem;
  FaultEnv env(&mem);
  ASSERT_NO_FATAL_FAILURE(SetUpFiles(&mem));
  env.FailKinds(kFaultOpen | kFaultRename | kFaultUnlink | kFaultCreateDir);
  EXPECT_TRUE(IsInjected(env.NewWritableFile("/d/f").status()));  // would truncate
  EXPECT_TRUE(IsInjected(env.NewWritableFile("/d/new").status()));
  EXPECT_TRUE(IsInjected(env.RenameFile("/d/f", "/d/g")));
  EXPECT_TRUE(IsInjected(env.RemoveFile("/d/f")));
  EXPECT_TRUE(IsInjected(env.CreateDir("/d/sub")));
  EXPECT_TRUE(IsInjected(env.LockFile("/d/LOCK").status()));
  std::vector<std::string> children = mem.GetChildren("/d").value();
  std::sort(children.begin(), children.end());
  EXPECT_EQ(children, (std::vector<std::string>{"empty", "f"}));
  EXPECT_EQ(mem.ReadFileContents("/d/f").value(), "data");
}

TEST(FaultEnv, FailedAppendWritesNothingAndFailedSyncSyncsNothing) {
  MemEnv mem;
  FaultEnv env(&mem);
  ASSERT_NO_FATAL_FAILURE(SetUpFiles(&mem));
  Result<std::unique_ptr<WritableFile>> file = env.NewWritableFile("/d/g");
  ASSERT_OK(file.status());
  ASSERT_OK(env.SyncDir("/d"));
  ASSERT_OK(file.value()->Append("kept"));
  env.FailKinds(kFaultWrite | kFaultSync);
  EXPECT_TRUE(IsInjected(file.value()->Append("lost")));
  EXPECT_EQ(mem.ReadFileContents("/d/g").value(), "kept");
  EXPECT_TRUE(IsInjected(file.value()->Sync()));
  EXPECT_TRUE(IsInjected(env.TruncateFile("/d/f", 0)));
  file.value().reset();
  mem.Crash();
  EXPECT_EQ(mem.ReadFileContents("/d/g").value(), "");  // the sync never happened
  EXPECT_EQ(mem.ReadFileContents("/d/f").value(), "data");
}

TEST(FaultEnv, ClearFaultsDisarmsEveryRuleAndCountersKeepCounting) {
  MemEnv mem;
  FaultEnv env(&mem);
  ASSERT_NO_FATAL_FAILURE(SetUpFiles(&mem));
  env.FailOperation(env.operation_count() + 1);
  env.FailKinds(kFaultRead);
  env.FailPath("/d");
  env.FailRandomly(1, 1);
  EXPECT_FALSE(env.FileExists("/d/f").ok());
  const uint64_t ops = env.operation_count();
  const uint64_t injected = env.injected_count();
  env.ClearFaults();
  for (int i = 0; i < 3; ++i) {
    EXPECT_OK(env.FileExists("/d/f").status());
  }
  EXPECT_EQ(env.operation_count(), ops + 3);
  EXPECT_EQ(env.injected_count(), injected);
}

TEST(FaultEnv, ErrorsOfTheBaseEnvPassThrough) {
  MemEnv mem;
  FaultEnv env(&mem);
  ASSERT_NO_FATAL_FAILURE(SetUpFiles(&mem));
  EXPECT_TRUE(env.NewReadableFile("/d/missing").status().IsNotFound());
  mem.CrashNow();
  Status s = env.SyncDir("/d");
  EXPECT_TRUE(s.IsIOError());
  EXPECT_EQ(s.message(), "MemEnv crashed");
  EXPECT_EQ(env.injected_count(), 0u);
}

TEST(FaultEnv, ConcurrentOperationsAreEachCountedOnce) {
  MemEnv mem;
  FaultEnv env(&mem);
  ASSERT_NO_FATAL_FAILURE(SetUpFiles(&mem));
  constexpr int kThreads = 4;
  constexpr int kOpsPerThread = 500;
  env.FailRandomly(3, 99, kFaultRead);
  const uint64_t start = env.operation_count();
  std::vector<std::thread> threads;
  std::atomic<int> injected{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.push_back(env.StartThread([&] {
      for (int i = 0; i < kOpsPerThread; ++i) {
        if (!env.FileExists("/d/f").ok()) {
          injected.fetch_add(1);
        }
      }
    }));
  }
  for (std::thread& t : threads) {
    t.join();
  }
  EXPECT_EQ(env.operation_count(), start + kThreads * kOpsPerThread);
  EXPECT_EQ(env.injected_count(), static_cast<uint64_t>(injected.load()));
}

}  // namespace
}  // namespace cairn
