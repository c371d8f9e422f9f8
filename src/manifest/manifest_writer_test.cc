// Proves that what ManifestWriter writes, ReadManifest reads back exactly: a snapshot and
// hundreds of edits, with the header fields, edit indexes and sizes reported; that Create and
// Append refuse edits that would make the manifest unreadable without writing anything; and
// that a failed write or sync poisons the writer for good (never retried), after which a
// rollover to a new manifest published through CURRENT recovers every acknowledged edit.
// Files live in a MemEnv; failures are injected with a FaultEnv over it.
#include "manifest/manifest_writer.h"

#include <gtest/gtest.h>

#include <vector>

#include "manifest/current_file.h"
#include "manifest/manifest_reader.h"
#include "manifest/manifest_testutil.h"
#include "testsupport/fault_env.h"
#include "testsupport/mem_env.h"
#include "testutil.h"
#include "util/filename.h"

namespace cairn::manifest {
namespace {

using test::MakeSegment;
using test::ModelState;

constexpr char kDir[] = "/db";

VersionEdit InitialSnapshot() {
  ModelState state;
  state.log_number = 2;
  state.next_file_number = 10;
  state.wals = {2};
  state.segments[3] = MakeSegment(3);
  state.last_sequence = 100;
  state.last_commit_micros = 1'795'000'001'000'000;
  return state.Snapshot(test::TestDbId());
}

// A delta like a flush makes: a new WAL, a new segment, the old WAL obsolete. Edit i uses
// file numbers 10 + 3i (WAL) and 11 + 3i (segment) and leaves 12 + 3i free for a manifest;
// every fifth edit also deletes the segment of edit i - 2, as a compaction would.
VersionEdit FlushEdit(uint64_t i) {
  VersionEdit edit;
  uint64_t wal = 10 + 3 * i;
  edit.added_wals = {wal};
  edit.added_segments = {MakeSegment(wal + 1, static_cast<uint32_t>(i % 3))};
  edit.log_number = wal;
  edit.next_file_number = wal + 3;
  edit.last_sequence = 10 * (wal + 1) + 5;
  edit.last_commit_micros = 1'795'000'001'000'000 + i;
  if (i % 5 == 4) {
    edit.deleted_segments.push_back({static_cast<uint32_t>((i - 2) % 3), wal - 5});
  }
  return edit;
}

struct ReadResult {
  Status status;
  std::vector<VersionEdit> edits;
  std::vector<uint64_t> offsets;
  ManifestReadReport report;
};

ReadResult ReadAll(Env* env, uint64_t number, ManifestReadMode mode = ManifestReadMode::kRecover) {
  ReadResult result;
  result.status = ReadManifest(
      env, kDir, ManifestFileName(number), test::TestDbId(), mode,
      [&result](const VersionEdit& edit, uint64_t offset) {
        result.edits.push_back(edit);
        result.offsets.push_back(offset);
        return Status::OK();
      },
      &result.report);
  return result;
}

class ManifestWriterTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_OK(env_.CreateDir(kDir)); }
  MemEnv env_;
};

TEST_F(ManifestWriterTest, ManyEditsRoundTrip) {
  auto writer = ManifestWriter::Create(&env_, kDir, 5, 1, test::TestDbId(), InitialSnapshot());
  ASSERT_OK(writer.status());
  std::vector<VersionEdit> written = {InitialSnapshot()};
  for (uint64_t i = 0; i < 300; i++) {
    written.push_back(FlushEdit(i));
    ASSERT_OK(writer.value()->Append(written.back()));
  }
  EXPECT_EQ(writer.value()->edit_count(), written.size());
  EXPECT_EQ(writer.value()->number(), 5u);
  EXPECT_EQ(writer.value()->synced_bytes(), writer.value()->size_bytes());
  const uint64_t size = writer.value()->size_bytes();
  ASSERT_OK(writer.value()->Close());
  EXPECT_EQ(env_.GetFileSize("/db/000005.manifest").value(), size);

  ReadResult read = ReadAll(&env_, 5);
  ASSERT_OK(read.status);
  ASSERT_EQ(read.edits, written);
  EXPECT_EQ(read.offsets.front(), record::kFileHeaderSize);
  EXPECT_EQ(read.report.file_number, 5u);
  EXPECT_EQ(read.report.prev_manifest_number, 1u);
  EXPECT_EQ(read.report.db_id, test::TestDbId());
  EXPECT_EQ(read.report.edit_count, written.size());
  EXPECT_EQ(read.report.valid_end_offset, size);
  EXPECT_EQ(read.report.file_size_bytes, size);
  EXPECT_FALSE(read.report.torn_tail);
}

TEST_F(ManifestWriterTest, ReadWithoutExpectedDbIdReportsTheHeaders) {
  ASSERT_OK(
      ManifestWriter::Create(&env_, kDir, 5, 0, test::TestDbId(), InitialSnapshot()).status());
  ManifestReadReport report;
  ASSERT_OK(ReadManifest(
      &env_, kDir, "000005.manifest", std::nullopt, ManifestReadMode::kVerifyOnly,
      [](const VersionEdit&, uint64_t) { return Status::OK(); }, &report));
  EXPECT_EQ(report.db_id, test::TestDbId());
  EXPECT_EQ(report.edit_count, 1u);
}

TEST_F(ManifestWriterTest, BrokenEditsAreRefusedWithoutWriting) {
#ifndef NDEBUG
  GTEST_SKIP() << "debug builds assert on these programmer errors";
#else
  // Not a snapshot / a snapshot of another database / a number not below next_file_number.
  EXPECT_TRUE(ManifestWriter::Create(&env_, kDir, 5, 0, test::TestDbId(), FlushEdit(0))
                  .status()
                  .IsInvalidArgument());
  EXPECT_TRUE(ManifestWriter::Create(&env_, kDir, 5, 0, test::TestDbId(0x77), InitialSnapshot())
                  .status()
                  .IsInvalidArgument());
  EXPECT_TRUE(ManifestWriter::Create(&env_, kDir, 10, 0, test::TestDbId(), InitialSnapshot())
                  .status()
                  .IsInvalidArgument());
  EXPECT_FALSE(env_.FileExists("/db/000005.manifest").value());
  EXPECT_FALSE(env_.FileExists("/db/000010.manifest").value());

  auto writer = ManifestWriter::Create(&env_, kDir, 5, 0, test::TestDbId(), InitialSnapshot());
  ASSERT_OK(writer.status());
  const uint64_t size = writer.value()->size_bytes();
  VersionEdit broken = FlushEdit(0);
  broken.added_wals.push_back(broken.added_wals[0]);  // listed twice
  EXPECT_TRUE(writer.value()->Append(broken).IsInvalidArgument());
  EXPECT_TRUE(writer.value()->Append(InitialSnapshot()).IsInvalidArgument());
  EXPECT_EQ(writer.value()->size_bytes(), size);
  EXPECT_FALSE(writer.value()->poisoned());
  ASSERT_OK(writer.value()->Append(FlushEdit(0)));
  EXPECT_EQ(ReadAll(&env_, 5).edits.size(), 2u);
#endif
}

TEST_F(ManifestWriterTest, FailedSyncPoisonsTheWriterAndRolloverRecovers) {
  FaultEnv faults(&env_);
  auto old_writer =
      ManifestWriter::Create(&faults, kDir, 5, 0, test::TestDbId(), InitialSnapshot());
  ASSERT_OK(old_writer.status());
  ASSERT_OK(WriteCurrent(&faults, kDir, 5));
  ModelState state;
  state.Apply(InitialSnapshot());
  ASSERT_OK(old_writer.value()->Append(FlushEdit(0)));
  state.Apply(FlushEdit(0));

  faults.FailKinds(kFaultSync);
  Status failed = old_writer.value()->Append(FlushEdit(1));
  EXPECT_TRUE(failed.IsIOError()) << failed.ToString();
  EXPECT_TRUE(old_writer.value()->poisoned());
  faults.ClearFaults();
  // Never retried: the writer keeps the first error even though the Env works again.
  Status again = old_writer.value()->Append(FlushEdit(1));
  EXPECT_EQ(again.ToString(), old_writer.value()->error().ToString());
  const uint64_t injected = faults.injected_count();

  // Roll over: a new manifest with a snapshot of the state without the failed edit, then
  // CURRENT, then the edit again on the new file.
  auto new_writer = ManifestWriter::Create(&faults, kDir, 12, 5, test::TestDbId(),
                                           state.Snapshot(test::TestDbId()));
  ASSERT_OK(new_writer.status());
  ASSERT_OK(WriteCurrent(&faults, kDir, 12));
  ASSERT_OK(new_writer.value()->Append(FlushEdit(1)));
  state.Apply(FlushEdit(1));
  EXPECT_EQ(faults.injected_count(), injected);

  uint64_t current = 0;
  ASSERT_OK(ReadCurrent(&env_, kDir, &current));
  ASSERT_EQ(current, 12u);
  ReadResult read = ReadAll(&env_, current);
  ASSERT_OK(read.status);
  ModelState recovered;
  for (const VersionEdit& edit : read.edits) recovered.Apply(edit);
  EXPECT_EQ(recovered, state);
  EXPECT_EQ(read.report.prev_manifest_number, 5u);
}

TEST_F(ManifestWriterTest, FailedCreateLeavesNoUsableWriter) {
  FaultEnv faults(&env_);
  for (uint32_t kind : {kFaultOpen, kFaultWrite, kFaultSync, kFaultDirSync}) {
    faults.FailKinds(kind);
    auto writer = ManifestWriter::Create(&faults, kDir, 5, 0, test::TestDbId(), InitialSnapshot());
    EXPECT_TRUE(writer.status().IsIOError()) << kind << ": " << writer.status().ToString();
    faults.ClearFaults();
  }
}

}  // namespace
}  // namespace cairn::manifest
