// Proves that KillPointEnv names its kill points after the operation and the file kind
// ("before-sync:wal", "after-rename:CURRENT", ...), that with odds 0 it only counts and never
// kills, and that with odds 1 it kills its process with SIGKILL at the very first point after
// logging that point's name. Kills happen in a fork()ed child (over a MemEnv, so nothing
// touches the disk but the log file); the parent checks how the child ended and what it logged.
#include "testsupport/kill_point_env.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "testsupport/mem_env.h"
#include "testutil.h"

namespace cairn {
namespace {

// Creates, syncs and closes /d/000007.wal, publishes CURRENT through CURRENT.tmp, syncs /d and
// removes the WAL: one pass over every kind of kill point. Returns false on any error.
bool RunProtocol(Env* env) {
  if (!env->CreateDir("/d").ok()) return false;
  Result<std::unique_ptr<WritableFile>> wal = env->NewWritableFile("/d/000007.wal");
  if (!wal.ok()) return false;
  if (!wal.value()->Append("record").ok() || !wal.value()->Sync().ok() ||
      !wal.value()->Close().ok()) {
    return false;
  }
  Result<std::unique_ptr<WritableFile>> tmp = env->NewWritableFile("/d/CURRENT.tmp");
  if (!tmp.ok()) return false;
  if (!tmp.value()->Append("000003.manifest\n").ok() || !tmp.value()->Sync().ok() ||
      !tmp.value()->Close().ok()) {
    return false;
  }
  if (!env->RenameFile("/d/CURRENT.tmp", "/d/CURRENT").ok()) return false;
  if (!env->SyncDir("/d").ok()) return false;
  return env->RemoveFile("/d/000007.wal").ok();
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

// Forks a child that runs the protocol through a KillPointEnv with `odds`; returns the
// child's wait status.
int RunInChild(uint32_t odds, uint64_t seed, const std::string& log_path) {
  const pid_t pid = fork();
  if (pid == 0) {
    MemEnv mem;
    KillPointEnv env(&mem, odds, seed, log_path);
    for (int round = 0; round < 50; ++round) {
      if (!RunProtocol(&env)) _exit(3);
    }
    _exit(0);
  }
  int status = 0;
  EXPECT_EQ(waitpid(pid, &status, 0), pid);
  return status;
}

TEST(KillPointEnv, NamesPointsByOperationAndFileKind) {
  EXPECT_EQ(KillPointEnv::PointName("before-sync", "/db/000012.wal"), "before-sync:wal");
  EXPECT_EQ(KillPointEnv::PointName("after-sync", "/db/000013.seg"), "after-sync:segment");
  EXPECT_EQ(KillPointEnv::PointName("before-create", "/db/000002.manifest"),
            "before-create:manifest");
  EXPECT_EQ(KillPointEnv::PointName("after-rename", "/db/CURRENT"), "after-rename:CURRENT");
  EXPECT_EQ(KillPointEnv::PointName("before-sync", "/db/IDENTITY.tmp"), "before-sync:IDENTITY.tmp");
  EXPECT_EQ(KillPointEnv::PointName("before-remove", "/db/notes.txt"), "before-remove:other");
}

TEST(KillPointEnv, CountsEveryPointOfAProtocolWithoutKillingAtOddsZero) {
  MemEnv mem;
  KillPointEnv env(&mem, 0, 1, "");
  ASSERT_TRUE(RunProtocol(&env));
  const std::map<std::string, uint64_t> counts = env.PassCounts();
  for (const char* point :
       {"before-create:wal", "after-create:wal", "before-sync:wal", "after-sync:wal",
        "before-close:wal", "after-close:wal", "before-create:CURRENT.tmp",
        "before-sync:CURRENT.tmp", "before-rename:CURRENT", "after-rename:CURRENT",
        "before-syncdir:dir", "after-syncdir:dir", "before-remove:wal", "after-remove:wal"}) {
    auto it = counts.find(point);
    ASSERT_NE(it, counts.end()) << point;
    EXPECT_EQ(it->second, 1u) << point;
  }
  // Appends, reads and directory creation are not kill points.
  EXPECT_EQ(counts.size(), 18u);
}

TEST(KillPointEnv, OddsZeroNeverKills) {
  test::TempDir dir;
  const std::string log = dir.path() + "/kills";
  const int status = RunInChild(0, 42, log);
  ASSERT_TRUE(WIFEXITED(status)) << "child killed by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(ReadFile(log), "");
}

TEST(KillPointEnv, OddsOneKillsAtTheFirstPointAndLogsIt) {
  test::TempDir dir;
  const std::string log = dir.path() + "/kills";
  const int status = RunInChild(1, 42, log);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
  EXPECT_EQ(ReadFile(log).rfind("kill-point before-create:wal pid ", 0), 0u) << ReadFile(log);
}

TEST(KillPointEnv, LargeOddsKillSomewhereWithinManyRounds) {
  test::TempDir dir;
  const std::string log = dir.path() + "/kills";
  // 50 rounds pass 900 points, 800 of them (all but the WAL syncs) with odds 32 / 16 = 2: a
  // kill is certain in practice, and the logged point must be one the protocol passes.
  const int status = RunInChild(32, 7, log);
  ASSERT_TRUE(WIFSIGNALED(status));
  const std::string logged = ReadFile(log);
  ASSERT_EQ(logged.rfind("kill-point ", 0), 0u) << logged;
  EXPECT_NE(logged.find(':'), std::string::npos) << logged;
}

}  // namespace
}  // namespace cairn
