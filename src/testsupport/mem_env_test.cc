// Proves that MemEnv behaves as a POSIX file system for ordinary operations and that its
// crash model keeps exactly what is durable: synced bytes and synced directory entries, with
// hard links sharing one inode and directories surviving only through a synced parent entry.
// Each test builds a small file tree, crashes (CrashNow + Restart, or Crash) and checks the
// tree that remains. A seeded random workload is compared against a small independent model.
// Freezing, sync-point scheduling, stale handles and locks are in mem_env_crash_test.cc;
// torn writes in mem_env_torn_test.cc.
#include "testsupport/mem_env.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <vector>

#include "testutil.h"

namespace cairn {
namespace {

// Creates `path` with `data`, syncing the bytes if asked (never the directory).
Status WriteFile(Env* env, const std::string& path, std::string_view data, bool sync) {
  Result<std::unique_ptr<WritableFile>> file = env->NewWritableFile(path);
  CAIRN_RETURN_IF_ERROR(file.status());
  CAIRN_RETURN_IF_ERROR(file.value()->Append(data));
  if (sync) {
    CAIRN_RETURN_IF_ERROR(file.value()->Sync());
  }
  return file.value()->Close();
}

// The current content of `path`, or "<missing>".
std::string Contents(MemEnv* env, const std::string& path) {
  Result<std::string> contents = env->ReadFileContents(path);
  if (!contents.ok()) {
    EXPECT_TRUE(contents.status().IsNotFound()) << contents.status().ToString();
    return "<missing>";
  }
  return contents.value();
}

bool Exists(Env* env, const std::string& path) {
  Result<bool> exists = env->FileExists(path);
  EXPECT_TRUE(exists.ok()) << exists.status().ToString();
  return exists.ok() && exists.value();
}

std::vector<std::string> Children(Env* env, const std::string& dir) {
  Result<std::vector<std::string>> names = env->GetChildren(dir);
  EXPECT_TRUE(names.ok()) << names.status().ToString();
  if (!names.ok()) {
    return {};
  }
  std::vector<std::string> sorted = names.value();
  std::sort(sorted.begin(), sorted.end());
  return sorted;
}

// Makes the durable directory /d that most tests work in.
void MakeWorkDir(MemEnv* env) {
  ASSERT_OK(env->CreateDir("/d"));
  ASSERT_OK(env->SyncDir("/d"));
  ASSERT_OK(env->SyncDir("/"));
}

// --- Ordinary file-system behaviour ---

TEST(MemEnv, AppendedBytesAreReadableBeforeSync) {
  MemEnv env;
  ASSERT_NO_FATAL_FAILURE(MakeWorkDir(&env));
  Result<std::unique_ptr<WritableFile>> file = env.NewWritableFile("/d/f");
  ASSERT_OK(file.status());
  ASSERT_OK(file.value()->Append("hello "));
  ASSERT_OK(file.value()->Append("world"));
  Result<std::unique_ptr<ReadableFile>> reader = env.NewReadableFile("/d/f");
  ASSERT_OK(reader.status());
  char scratch[64];
  std::string_view result;
  ASSERT_OK(reader.value()->Read(6, sizeof(scratch), scratch, &result));
  EXPECT_EQ(result, "world");  // short result: end of file
  ASSERT_OK(reader.value()->Read(100, 4, scratch, &result));
  EXPECT_TRUE(result.empty());
  Result<uint64_t> size = reader.value()->Size();
  ASSERT_OK(size.status());
  EXPECT_EQ(size.value(), 11u);
  Result<uint64_t> file_size = env.GetFileSize("/d/f");
  ASSERT_OK(file_size.status());
  EXPECT_EQ(file_size.value(), 11u);
}

TEST(MemEnv, NewWritableFileTruncatesAnExistingFile) {
  MemEnv env;
  ASSERT_NO_FATAL_FAILURE(MakeWorkDir(&env));
  ASSERT_OK(WriteFile(&env, "/d/f", "old content", false));
  ASSERT_OK(WriteFile(&env, "/d/f", "new", false));
  EXPECT_EQ(Contents(&env, "/d/f"), "new");
}

TEST(MemEnv, MissingFileIsNotFound) {
  MemEnv env;
  ASSERT_NO_FATAL_FAILURE(MakeWorkDir(&env));
  EXPECT_TRUE(env.NewReadableFile("/d/nope").status().IsNotFound());
  EXPECT_TRUE(env.GetFileSize("/d/nope").status().IsNotFound());
  EXPECT_TRUE(env.RemoveFile("/d/nope").IsNotFound());
  EXPECT_TRUE(env.RenameFile("/d/nope", "/d/other").IsNotFound());
  EXPECT_TRUE(env.LinkFile("/d/nope", "/d/other").IsNotFound());
  EXPECT_TRUE(env.GetChildren("/nope").status().IsNotFound());
  EXPECT_TRUE(env.SyncDir("/nope").IsNotFound());
  EXPECT_TRUE(env.TruncateFile("/d/nope", 0).IsNotFound());
  EXPECT_FALSE(Exists(&env, "/d/nope"));
}

TEST(MemEnv, CreatingInAMissingDirectoryIsNotFound) {
  MemEnv env;
  ASSERT_NO_FATAL_FAILURE(MakeWorkDir(&env));
  EXPECT_TRUE(env.NewWritableFile("/x/f").status().IsNotFound());
  EXPECT_TRUE(env.CreateDir("/x/y").IsNotFound());
  EXPECT_TRUE(env.LockFile("/x/LOCK").status().IsNotFound());
}

TEST(MemEnv, ErrorMessagesNameTheOperationAndPath) {
  MemEnv env;
  ASSERT_NO_FATAL_FAILURE(MakeWorkDir(&env));
  Status s = env.NewReadableFile("/d/nope").status();
  EXPECT_NE(s.message().find("/d/nope"), std::string::npos) << s.ToString();
  s = env.RenameFile("/d/a", "/d/b");
  EXPECT_NE(s.message().find("rename /d/a to /d/b"), std::string::npos) << s.ToString();
}

TEST(MemEnv, RelativePathIsInvalidArgument) {
  MemEnv env;
  ASSERT_NO_FATAL_FAILURE(MakeWorkDir(&env));
  EXPECT_TRUE(env.NewWritableFile("d/f").status().IsInvalidArgument());
  EXPECT_TRUE(env.FileExists("").status().IsInvalidArgument());
  EXPECT_TRUE(env.CreateDir("/d/../e").IsInvalidArgument());
}

TEST(MemEnv, PathsIgnoreEmptyComponentsAndTrailingSlash) {
  MemEnv env;
  ASSERT_NO_FATAL_FAILURE(MakeWorkDir(&env));
  ASSERT_OK(WriteFile(&env, "//d///f", "x", false));
  EXPECT_EQ(Contents(&env, "/d/f"), "x");
  EXPECT_TRUE(Exists(&env, "/d/"));
  EXPECT_EQ(Children(&env, "/d//"), std::vector<std::string>{"f"});
  ASSERT_OK(env.SyncDir("/d/"));
}

TEST(MemEnv, GetChildrenListsLiveEntriesOnly) {
  MemEnv env;
  ASSERT_NO_FATAL_FAILURE(MakeWorkDir(&env));
  ASSERT_OK(WriteFile(&env, "/d/a", "", false));
  ASSERT_OK(WriteFile(&env, "/d/b", "", false));
  ASSERT_OK(env.CreateDir("/d/sub"));
  ASSERT_OK(env.RemoveFile("/d/a"));
  EXPECT_EQ(Children(&env, "/d"), (std::vector<std::string>{"b", "sub"}));
  EXPECT_EQ(Children(&env, "/"), std::vector<std::string>{"d"});
  EXPECT_TRUE(env.GetChildren("/d/b").status().IsIOError());  // not a directory
}

TEST(MemEnv, CreateDirIsIdempotentButFailsOverAFile) {
  MemEnv env;
  ASSERT_NO_FATAL_FAILURE(MakeWorkDir(&env));
  ASSERT_OK(env.CreateDir("/d/sub"));
  ASSERT_OK(env.CreateDir("/d/sub"));
  ASSERT_OK(env.CreateDir("/"));
  ASSERT_OK(WriteFile(&env, "/d/f", "", false));
  EXPECT_TRUE(env.CreateDir("/d/f").IsIOError());
  EXPECT_TRUE(env.NewWritableFile("/d/f/g").status().IsIOError());  // f is not a directory
  EXPECT_FALSE(Exists(&env, "/d/f/g"));
}

TEST(MemEnv, DirectoriesAreNotFiles) {
  MemEnv env;
  ASSERT_NO_FATAL_FAILURE(MakeWorkDir(&env));
  EXPECT_TRUE(env.NewWritableFile("/d").status().IsIOError());
  EXPECT_TRUE(env.NewReadableFile("/d").status().IsIOError());
  EXPECT_TRUE(env.GetFileSize("/d").status().IsIOError());
  EXPECT_TRUE(env.RemoveFile("/d").IsIOError());
  EXPECT_TRUE(env.LinkFile("/d", "/e").IsIOError());
  EXPECT_TRUE(env.TruncateFile("/d", 0).IsIOError());
  ASSERT_OK(WriteFile(&env, "/d/f", "", false));
  EXPECT_TRUE(env.SyncDir("/d/f").IsIOError());
  EXPECT_TRUE(env.RemoveDir("/d/f").IsIOError());
}

TEST(MemEnv, RemoveDirRequiresAnEmptyDirectory) {
  MemEnv env;
  ASSERT_NO_FATAL_FAILURE(MakeWorkDir(&env));
  ASSERT_OK(env.CreateDir("/d/sub"));
  ASSERT_OK(WriteFile(&env, "/d/sub/f", "", false));
  EXPECT_TRUE(env.RemoveDir("/d/sub").IsIOError());
  ASSERT_OK(env.RemoveFile("/d/sub/f"));
  ASSERT_OK(env.RemoveDir("/d/sub"));
  EXPECT_FALSE(Exists(&env, "/d/sub"));
  EXPECT_TRUE(env.RemoveDir("/d/sub").IsNotFound());
  EXPECT_FALSE(env.RemoveDir("/").ok());
}

TEST(MemEnv, RenameReplacesTheTarget) {
  MemEnv env;
  ASSERT_NO_FATAL_FAILURE(MakeWorkDir(&env));
  ASSERT_OK(WriteFile(&env, "/d/a", "A", false));
  ASSERT_OK(WriteFile(&env, "/d/b", "B", false));
  ASSERT_OK(env.RenameFile("/d/a", "/d/b"));
  EXPECT_EQ(Contents(&env, "/d/b"), "A");
  EXPECT_FALSE(Exists(&env, "/d/a"));
  ASSERT_OK(env.RenameFile("/d/b", "/d/b"));  // onto itself: nothing happens
  EXPECT_EQ(Contents(&env, "/d/b"), "A");
}

TEST(MemEnv, RenameBetweenTwoLinksOfOneInodeDoesNothing) {
  MemEnv env;
  ASSERT_NO_FATAL_FAILURE(MakeWorkDir(&env));
  ASSERT_OK(WriteFile(&env, "/d/a", "A", false));
  ASSERT_OK(env.LinkFile("/d/a", "/d/b"));
  ASSERT_OK(env.RenameFile("/d/a", "/d/b"));
  EXPECT_EQ(Children(&env, "/d"), (std::vector<std::string>{"a", "b"}));  // as POSIX says
}

TEST(MemEnv, RenameOfDirectoriesFollowsPosixRules) {
  MemEnv env;
  ASSERT_NO_FATAL_FAILURE(MakeWorkDir(&env));
  ASSERT_OK(env.CreateDir("/d/x"));
  ASSERT_OK(WriteFile(&env, "/d/x/f", "F", false));
  ASSERT_OK(WriteFile(&env, "/d/file", "", false));
  EXPECT_TRUE(env.RenameFile("/d/x", "/d/x/inside").IsIOError());  // into itself
  EXPECT_TRUE(env.RenameFile("/d/x", "/d/file").IsIOError());      // dir over file
  EXPECT_TRUE(env.RenameFile("/d/file", "/d/x").IsIOError());      // file over dir
  ASSERT_OK(env.CreateDir("/d/empty"));
  ASSERT_OK(env.RenameFile("/d/x", "/d/empty"));  // dir over empty dir
  EXPECT_EQ(Contents(&env, "/d/empty/f"), "F");
  ASSERT_OK(env.CreateDir("/d/y"));
  EXPECT_TRUE(env.RenameFile("/d/y", "/d/empty").IsIOError());  // over a non-empty dir
}

TEST(MemEnv, LinkOntoAnExistingNameFails) {
  MemEnv env;
  ASSERT_NO_FATAL_FAILURE(MakeWorkDir(&env));
  ASSERT_OK(WriteFile(&env, "/d/a", "A", false));
  ASSERT_OK(WriteFile(&env, "/d/b", "B", false));
  EXPECT_TRUE(env.LinkFile("/d/a", "/d/b").IsIOError());
  EXPECT_EQ(Contents(&env, "/d/b"), "B");
}

TEST(MemEnv, ClosedFileRejectsAppendAndSync) {
  MemEnv env;
  ASSERT_NO_FATAL_FAILURE(MakeWorkDir(&env));
  Result<std::unique_ptr<WritableFile>> file = env.NewWritableFile("/d/f");
  ASSERT_OK(file.status());
  ASSERT_OK(file.value()->Close());
  ASSERT_OK(file.value()->Close());
  EXPECT_TRUE(file.value()->Append("x").IsIOError());
  EXPECT_TRUE(file.value()->Sync().IsIOError());
  EXPECT_EQ(Contents(&env, "/d/f"), "");
}

TEST(MemEnv, OpenHandlesKeepUsingAnUnlinkedFile) {
  MemEnv env;
  ASSERT_NO_FATAL_FAILURE(MakeWorkDir(&env));
  Result<std::unique_ptr<WritableFile>> writer = env.NewWritableFile("/d/f");
  ASSERT_OK(writer.status());
  ASSERT_OK(writer.value()->Append("abc"));
  Result<std::unique_ptr<ReadableFile>> reader = env.NewReadableFile("/d/f");
  ASSERT_OK(reader.status());
  ASSERT_OK(env.RemoveFile("/d/f"));
  ASSERT_OK(writer.value()->Append("def"));
  char scratch[16];
  std::string_view result;
  ASSERT_OK(reader.value()->Read(0, sizeof(scratch), scratch, &result));
  EXPECT_EQ(result, "abcdef");
  EXPECT_FALSE(Exists(&env, "/d/f"));
}

// --- The crash model ---

TEST(MemEnv, UnsyncedCreateDisappearsAfterCrash) {
  MemEnv env;
  ASSERT_NO_FATAL_FAILURE(MakeWorkDir(&env));
  ASSERT_OK(WriteFile(&env, "/d/f", "data", /*sync=*/true));  // bytes synced, entry not
  env.Crash();
  EXPECT_FALSE(Exists(&env, "/d/f"));
  EXPECT_TRUE(Children(&env, "/d").empty());
}

TEST(MemEnv, SyncedEntryWithUnsyncedBytesIsEmptyAfterCrash) {
  MemEnv env;
  ASSERT_NO_FATAL_FAILURE(MakeWorkDir(&env));
  ASSERT_OK(WriteFile(&env, "/d/f", "data", /*sync=*/false));
  ASSERT_OK(env.SyncDir("/d"));
  env.Crash();
  EXPECT_EQ(Contents(&env, "/d/f"), "");
}

TEST(MemEnv, SyncedBytesSurviveCrashAndUnsyncedTailIsLost) {
  MemEnv env;
  ASSERT_NO_FATAL_FAILURE(MakeWorkDir(&env));
  Result<std::unique_ptr<WritableFile>> file = env.NewWritableFile("/d/f");
  ASSERT_OK(file.status());
  ASSERT_OK(env.SyncDir("/d"));
  ASSERT_OK(file.value()->Append("synced"));
  ASSERT_OK(file.value()->Sync());
  ASSERT_OK(file.value()->Append("-unsynced"));
  EXPECT_EQ(Contents(&env, "/d/f"), "synced-unsynced");
  env.CrashNow();
  file.value().reset();  // the old DB goes away before the restart
  env.Restart();
  EXPECT_EQ(Contents(&env, "/d/f"), "synced");
}

TEST(MemEnv, RenameWithoutSyncDirIsUndoneByCrash) {
  MemEnv env;
  ASSERT_NO_FATAL_FAILURE(MakeWorkDir(&env));
  ASSERT_OK(WriteFile(&env, "/d/a", "A", true));
  ASSERT_OK(WriteFile(&env, "/d/b", "B", true));
  ASSERT_OK(env.SyncDir("/d"));
  ASSERT_OK(env.RenameFile("/d/a", "/d/b"));
  env.Crash();
  EXPECT_EQ(Contents(&env, "/d/a"), "A");
  EXPECT_EQ(Contents(&env, "/d/b"), "B");
}

TEST(MemEnv, RenameWithSyncDirSurvivesCrash) {
  MemEnv env;
  ASSERT_NO_FATAL_FAILURE(MakeWorkDir(&env));
  ASSERT_OK(WriteFile(&env, "/d/a", "A", true));
  ASSERT_OK(WriteFile(&env, "/d/b", "B", true));
  ASSERT_OK(env.SyncDir("/d"));
  ASSERT_OK(env.RenameFile("/d/a", "/d/b"));
  ASSERT_OK(env.SyncDir("/d"));
  env.Crash();
  EXPECT_FALSE(Exists(&env, "/d/a"));
  EXPECT_EQ(Contents(&env, "/d/b"), "A");
}

TEST(MemEnv, RenameAcrossDirectoriesIsDurableOnlyPerSyncedDirectory) {
  MemEnv env;
  ASSERT_NO_FATAL_FAILURE(MakeWorkDir(&env));
  ASSERT_OK(env.CreateDir("/d/other"));
  ASSERT_OK(env.SyncDir("/d/other"));
  ASSERT_OK(WriteFile(&env, "/d/a", "A", true));
  ASSERT_OK(env.SyncDir("/d"));
  ASSERT_OK(env.RenameFile("/d/a", "/d/other/a"));
  ASSERT_OK(env.SyncDir("/d/other"));  // the new entry is durable, the removal is not
  env.Crash();
  EXPECT_EQ(Contents(&env, "/d/a"), "A");
  EXPECT_EQ(Contents(&env, "/d/other/a"), "A");
}

TEST(MemEnv, UnlinkWithoutSyncDirIsUndoneByCrash) {
  MemEnv env;
  ASSERT_NO_FATAL_FAILURE(MakeWorkDir(&env));
  ASSERT_OK(WriteFile(&env, "/d/f", "F", true));
  ASSERT_OK(env.SyncDir("/d"));
  ASSERT_OK(env.RemoveFile("/d/f"));
  env.Crash();
  EXPECT_EQ(Contents(&env, "/d/f"), "F");
}

TEST(MemEnv, UnlinkWithSyncDirSurvivesCrash) {
  MemEnv env;
  ASSERT_NO_FATAL_FAILURE(MakeWorkDir(&env));
  ASSERT_OK(WriteFile(&env, "/d/f", "F", true));
  ASSERT_OK(env.SyncDir("/d"));
  ASSERT_OK(env.RemoveFile("/d/f"));
  ASSERT_OK(env.SyncDir("/d"));
  env.Crash();
  EXPECT_FALSE(Exists(&env, "/d/f"));
}

TEST(MemEnv, HardLinkSharesData) {
  MemEnv env;
  ASSERT_NO_FATAL_FAILURE(MakeWorkDir(&env));
  Result<std::unique_ptr<WritableFile>> file = env.NewWritableFile("/d/a");
  ASSERT_OK(file.status());
  ASSERT_OK(file.value()->Append("one"));
  ASSERT_OK(env.LinkFile("/d/a", "/d/b"));
  ASSERT_OK(file.value()->Append("two"));  // written through a, seen through b
  EXPECT_EQ(Contents(&env, "/d/b"), "onetwo");
  ASSERT_OK(env.RemoveFile("/d/a"));
  EXPECT_EQ(Contents(&env, "/d/b"), "onetwo");
}

TEST(MemEnv, ReopeningAHardLinkTruncatesEveryName) {
  MemEnv env;
  ASSERT_NO_FATAL_FAILURE(MakeWorkDir(&env));
  ASSERT_OK(WriteFile(&env, "/d/a", "shared", false));
  ASSERT_OK(env.LinkFile("/d/a", "/d/b"));
  ASSERT_OK(WriteFile(&env, "/d/b", "x", false));  // O_TRUNC acts on the inode
  EXPECT_EQ(Contents(&env, "/d/a"), "x");
}

TEST(MemEnv, HardLinksStillShareOneInodeAfterCrash) {
  MemEnv env;
  ASSERT_NO_FATAL_FAILURE(MakeWorkDir(&env));
  Result<std::unique_ptr<WritableFile>> file = env.NewWritableFile("/d/a");
  ASSERT_OK(file.status());
  ASSERT_OK(file.value()->Append("one"));
  ASSERT_OK(env.LinkFile("/d/a", "/d/b"));
  ASSERT_OK(env.SyncDir("/d"));
  ASSERT_OK(file.value()->Sync());  // one fdatasync covers the inode, whatever its names
  file.value().reset();
  env.Crash();
  EXPECT_EQ(Contents(&env, "/d/a"), "one");
  EXPECT_EQ(Contents(&env, "/d/b"), "one");
  Result<std::unique_ptr<WritableFile>> again = env.NewWritableFile("/d/a");
  ASSERT_OK(again.status());
  ASSERT_OK(again.value()->Append("new"));
  EXPECT_EQ(Contents(&env, "/d/b"), "new");
}

TEST(MemEnv, SubdirWithoutParentSyncIsLostAfterCrash) {
  MemEnv env;
  ASSERT_NO_FATAL_FAILURE(MakeWorkDir(&env));
  ASSERT_OK(env.CreateDir("/d/sub"));
  ASSERT_OK(WriteFile(&env, "/d/sub/f", "F", true));
  ASSERT_OK(env.SyncDir("/d/sub"));  // the subdir's own entries are durable; its name is not
  env.Crash();
  EXPECT_FALSE(Exists(&env, "/d/sub"));
}

TEST(MemEnv, SubdirWithParentSyncSurvivesCrash) {
  MemEnv env;
  ASSERT_NO_FATAL_FAILURE(MakeWorkDir(&env));
  ASSERT_OK(env.CreateDir("/d/sub"));
  ASSERT_OK(WriteFile(&env, "/d/sub/f", "F", true));
  ASSERT_OK(env.SyncDir("/d/sub"));
  ASSERT_OK(env.SyncDir("/d"));
  env.Crash();
  EXPECT_EQ(Contents(&env, "/d/sub/f"), "F");
}

TEST(MemEnv, NestedDirIsLostWhenAnAncestorEntryIsUnsynced) {
  MemEnv env;
  ASSERT_NO_FATAL_FAILURE(MakeWorkDir(&env));
  ASSERT_OK(env.CreateDir("/d/a"));
  ASSERT_OK(env.CreateDir("/d/a/b"));
  ASSERT_OK(WriteFile(&env, "/d/a/b/f", "F", true));
  ASSERT_OK(env.SyncDir("/d/a/b"));
  ASSERT_OK(env.SyncDir("/d/a"));  // but not /d
  env.Crash();
  EXPECT_FALSE(Exists(&env, "/d/a"));
  EXPECT_TRUE(Exists(&env, "/d"));
}

TEST(MemEnv, RemovedDirWithoutParentSyncComesBackAfterCrash) {
  MemEnv env;
  ASSERT_NO_FATAL_FAILURE(MakeWorkDir(&env));
  ASSERT_OK(env.CreateDir("/d/sub"));
  ASSERT_OK(env.SyncDir("/d"));
  ASSERT_OK(env.RemoveDir("/d/sub"));
  env.Crash();
  EXPECT_TRUE(Exists(&env, "/d/sub"));
}

TEST(MemEnv, RootAlwaysExistsAfterCrash) {
  MemEnv env;
  ASSERT_NO_FATAL_FAILURE(MakeWorkDir(&env));
  MemEnv fresh;
  ASSERT_OK(fresh.CreateDir("/x"));
  fresh.Crash();
  EXPECT_TRUE(Exists(&fresh, "/"));
  EXPECT_TRUE(Children(&fresh, "/").empty());
}

TEST(MemEnv, TruncateFileIsDurableAtOnce) {
  MemEnv env;
  ASSERT_NO_FATAL_FAILURE(MakeWorkDir(&env));
  ASSERT_OK(WriteFile(&env, "/d/f", "0123456789", false));
  ASSERT_OK(env.SyncDir("/d"));
  ASSERT_OK(env.TruncateFile("/d/f", 4));  // also makes the unsynced bytes it keeps durable
  env.Crash();
  EXPECT_EQ(Contents(&env, "/d/f"), "0123");
  ASSERT_OK(env.TruncateFile("/d/f", 6));  // growing zero-fills, like ftruncate
  EXPECT_EQ(Contents(&env, "/d/f"), std::string("0123\0\0", 6));
}

TEST(MemEnv, UnsyncedReopenTruncationIsUndoneByCrash) {
  MemEnv env;
  ASSERT_NO_FATAL_FAILURE(MakeWorkDir(&env));
  ASSERT_OK(WriteFile(&env, "/d/f", "durable", true));
  ASSERT_OK(env.SyncDir("/d"));
  ASSERT_OK(WriteFile(&env, "/d/f", "new", false));
  env.Crash();
  EXPECT_EQ(Contents(&env, "/d/f"), "durable");
}

TEST(MemEnv, SecondCrashStartsFromTheStateTheFirstLeft) {
  MemEnv env;
  ASSERT_NO_FATAL_FAILURE(MakeWorkDir(&env));
  ASSERT_OK(WriteFile(&env, "/d/f", "one", true));
  ASSERT_OK(env.SyncDir("/d"));
  env.Crash();
  Result<std::unique_ptr<WritableFile>> file = env.NewWritableFile("/d/g");
  ASSERT_OK(file.status());
  ASSERT_OK(file.value()->Append("two"));
  ASSERT_OK(file.value()->Sync());
  file.value().reset();
  env.Crash();  // /d/g's entry was never synced
  EXPECT_EQ(Contents(&env, "/d/f"), "one");
  EXPECT_FALSE(Exists(&env, "/d/g"));
}

// A flat directory as names -> file ids, and per file id the current and durable bytes.
// Simple enough to be obviously right, and independent of MemEnv's own structures.
struct FlatModel {
  struct File {
    std::string current;
    std::string durable;
  };
  std::map<std::string, int> live;
  std::map<std::string, int> synced;
  std::map<int, File> files;
  int next_id = 0;

  void Crash() {
    std::map<int, File> kept;
    for (const auto& entry : synced) {
      File& file = files[entry.second];
      kept[entry.second] = File{file.durable, file.durable};
    }
    files = kept;
    live = synced;
  }
};

void CheckAgainstModel(MemEnv* env, const FlatModel& model) {
  std::vector<std::string> expected;
  for (const auto& entry : model.live) {
    expected.push_back(entry.first);
    EXPECT_EQ(Contents(env, "/d/" + entry.first), model.files.at(entry.second).current)
        << entry.first;
  }
  EXPECT_EQ(Children(env, "/d"), expected);
}

// One random step on both MemEnv and the model. `open` holds a writer per file id.
void RandomStep(MemEnv* env, FlatModel* model, std::mt19937_64* rng,
                std::map<int, std::unique_ptr<WritableFile>>* open) {
  const std::string a = "f" + std::to_string((*rng)() % 4);
  const std::string b = "f" + std::to_string((*rng)() % 4);
  const bool a_exists = model->live.count(a) != 0;
  const bool b_exists = model->live.count(b) != 0;
  switch ((*rng)() % 8) {
    case 0: {  // create or truncate
      Result<std::unique_ptr<WritableFile>> file = env->NewWritableFile("/d/" + a);
      ASSERT_OK(file.status());
      const int id = a_exists ? model->live[a] : model->next_id++;
      model->live[a] = id;
      model->files[id].current.clear();
      (*open)[id] = std::move(file).value();
      break;
    }
    case 1:
    case 2:
      if (a_exists && open->count(model->live[a]) != 0) {
        const std::string data = test::RandomString(rng, 1 + (*rng)() % 700);
        ASSERT_OK((*open)[model->live[a]]->Append(data));
        model->files[model->live[a]].current += data;
      }
      break;
    case 3:
      if (a_exists && open->count(model->live[a]) != 0) {
        ASSERT_OK((*open)[model->live[a]]->Sync());
        FlatModel::File& file = model->files[model->live[a]];
        file.durable = file.current;
      }
      break;
    case 4:
      ASSERT_OK(env->SyncDir("/d"));
      model->synced = model->live;
      break;
    case 5:
      if (a_exists) {
        ASSERT_OK(env->RenameFile("/d/" + a, "/d/" + b));
        const int id = model->live[a];
        if (!b_exists || model->live[b] != id) {
          model->live.erase(a);
          model->live[b] = id;
        }
      }
      break;
    case 6:
      if (a_exists && !b_exists) {
        ASSERT_OK(env->LinkFile("/d/" + a, "/d/" + b));
        model->live[b] = model->live[a];
      } else if (a_exists) {
        ASSERT_OK(env->RemoveFile("/d/" + a));
        model->live.erase(a);
      }
      break;
    case 7:
      if ((*rng)() % 4 == 0) {
        open->clear();
        env->Crash();
        model->Crash();
      }
      break;
  }
}

TEST(MemEnv, RandomOperationsMatchAFlatDurabilityModel) {
  const uint64_t seed = test::TestSeed();
  SCOPED_TRACE("CAIRN_TEST_SEED=" + std::to_string(seed));
  std::mt19937_64 rng(seed);
  for (int round = 0; round < 20; ++round) {
    MemEnv env;
    ASSERT_OK(env.CreateDir("/d"));
    ASSERT_OK(env.SyncDir("/"));
    FlatModel model;
    std::map<int, std::unique_ptr<WritableFile>> open;
    for (int step = 0; step < 200; ++step) {
      RandomStep(&env, &model, &rng, &open);
      if (::testing::Test::HasFatalFailure()) {
        return;
      }
      CheckAgainstModel(&env, model);
      if (::testing::Test::HasFailure()) {
        FAIL() << "diverged at round " << round << " step " << step;
      }
    }
  }
}

// --- Test helpers ---

TEST(MemEnv, CorruptByteChangesCurrentAndDurableContent) {
  MemEnv env;
  ASSERT_NO_FATAL_FAILURE(MakeWorkDir(&env));
  ASSERT_OK(WriteFile(&env, "/d/f", "abcd", true));
  ASSERT_OK(env.SyncDir("/d"));
  ASSERT_OK(env.CorruptByte("/d/f", 1, 0x20));
  EXPECT_EQ(Contents(&env, "/d/f"), "aBcd");
  env.Crash();
  EXPECT_EQ(Contents(&env, "/d/f"), "aBcd");
  EXPECT_TRUE(env.CorruptByte("/d/f", 4, 1).IsInvalidArgument());
  EXPECT_TRUE(env.CorruptByte("/d/nope", 0, 1).IsNotFound());
}

TEST(MemEnv, CorruptByteAfterReopenTruncationChangesBothContents) {
  MemEnv env;
  ASSERT_NO_FATAL_FAILURE(MakeWorkDir(&env));
  ASSERT_OK(WriteFile(&env, "/d/f", "durable", true));
  ASSERT_OK(env.SyncDir("/d"));
  ASSERT_OK(WriteFile(&env, "/d/f", "current", false));
  ASSERT_OK(env.CorruptByte("/d/f", 0, 0x20));
  EXPECT_EQ(Contents(&env, "/d/f"), "Current");
  env.Crash();
  EXPECT_EQ(Contents(&env, "/d/f"), "Durable");
}

TEST(MemEnv, SetFileContentsDurablySurvivesCrash) {
  MemEnv env;
  ASSERT_NO_FATAL_FAILURE(MakeWorkDir(&env));
  ASSERT_OK(env.SetFileContentsDurably("/d/new/deep/f", "fixture"));
  ASSERT_OK(WriteFile(&env, "/d/g", "old", false));
  ASSERT_OK(env.SetFileContentsDurably("/d/g", "replaced"));
  env.Crash();
  EXPECT_EQ(Contents(&env, "/d/new/deep/f"), "fixture");
  EXPECT_EQ(Contents(&env, "/d/g"), "replaced");
}

}  // namespace
}  // namespace cairn
