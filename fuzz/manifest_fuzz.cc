// Fuzz target: the manifest's decoders — VersionEdit, SegmentMeta, CURRENT — the manifest
// reader, and a DB::Open whose manifest is the input.
//
// Input: a flag byte, then the payload. Flag bit 0 (kFixChecksums) rewrites the CRCs of a
// payload used as a manifest file; bits 1-2 choose what the payload is:
//   0  an encoded VersionEdit           -> VersionEdit::DecodeFrom
//   1  a manifest file                  -> ReadManifest, verify-only and then recover
//   2  a SegmentMeta body and a CURRENT -> SegmentMeta::DecodeFrom, DecodeCurrent
//   3  the manifest of a database       -> DB::Open over the template database with segments
//                                          (fuzz_util.h) whose manifest is the payload
// Bit 3 (kAdoptFile) gives the file the expected manifest number and the template's db_id
// (AdoptRecordFile, before checksums are fixed); mode 3 always does.
// What must hold, for every input:
//   - no crash, leak, hang or sanitizer report;
//   - a decoded edit passes Check(), re-encodes, and that encoding decodes to an equal edit
//     and re-encodes to the same bytes (the same for SegmentMeta and CURRENT);
//   - ReadManifest in verify-only mode never changes the file; in recover mode it returns the
//     same status and edits; after a recover that cut a torn tail, the file ends at the cut,
//     and reading it again succeeds with the same edits and no torn tail;
//   - DB::Open returns OK or an error; after OK the contents read back consistently, and a
//     second open succeeds with the same contents.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "cairn/db.h"
#include "fuzz_util.h"
#include "manifest/current_file.h"
#include "manifest/manifest_format.h"
#include "manifest/manifest_reader.h"
#include "manifest/segment_meta.h"
#include "manifest/version_edit.h"
#include "record/record_format.h"
#include "testsupport/mem_env.h"
#include "util/filename.h"

namespace cairn::fuzz {
namespace {

constexpr uint8_t kAdoptFile = 1u << 3;
constexpr uint64_t kManifestNumber = 5;

std::string Encode(const manifest::VersionEdit& edit) {
  std::string out;
  edit.EncodeTo(&out);
  return out;
}

// The round trip every decoded edit must survive.
void CheckEditRoundTrip(const manifest::VersionEdit& edit) {
  FUZZ_CHECK(edit.Check().ok(), "a decoded edit fails Check()");
  const std::string encoded = Encode(edit);
  manifest::VersionEdit again;
  Status s = again.DecodeFrom(encoded);
  FUZZ_CHECK(s.ok(), "a re-encoded edit does not decode: " + s.ToString());
  FUZZ_CHECK(again == edit, "a re-encoded edit decodes to a different edit");
  FUZZ_CHECK(Encode(again) == encoded, "encoding is not stable");
  (void)edit.DebugString();
}

void FuzzEdit(std::string_view payload) {
  manifest::VersionEdit edit;
  Status s = edit.DecodeFrom(payload);
  Trace("edit: " + s.ToString());
  if (s.ok()) {
    CheckEditRoundTrip(edit);
  }
}

void FuzzMetaAndCurrent(std::string_view payload) {
  manifest::SegmentMeta meta;
  if (meta.DecodeFrom(payload).ok()) {
    FUZZ_CHECK(meta.Check().ok(), "a decoded SegmentMeta fails Check()");
    std::string encoded;
    meta.EncodeTo(&encoded);
    manifest::SegmentMeta again;
    FUZZ_CHECK(again.DecodeFrom(encoded).ok(), "a re-encoded SegmentMeta does not decode");
    FUZZ_CHECK(again == meta, "a re-encoded SegmentMeta decodes differently");
    (void)meta.DebugString();
  }
  (void)manifest::InternalKeyDebugString(payload);
  uint64_t number = 0;
  if (manifest::DecodeCurrent(payload, &number).ok()) {
    FUZZ_CHECK(number > 0, "CURRENT decoded to manifest number 0");
    uint64_t again = 0;
    FUZZ_CHECK(
        manifest::DecodeCurrent(manifest::EncodeCurrent(number), &again).ok() && again == number,
        "EncodeCurrent does not round-trip");
  }
}

struct ReadResult {
  Status status;
  std::vector<manifest::VersionEdit> edits;
  manifest::ManifestReadReport report;
};

ReadResult Read(MemEnv* env, manifest::ManifestReadMode mode) {
  ReadResult r;
  const std::string name = ManifestFileName(kManifestNumber);
  r.status = manifest::ReadManifest(
      env, "/m", name, std::nullopt, mode,
      [&r](const manifest::VersionEdit& edit, uint64_t) {
        CheckEditRoundTrip(edit);
        r.edits.push_back(edit);
        return Status::OK();
      },
      &r.report);
  Trace(std::string(mode == manifest::ManifestReadMode::kRecover ? "recover" : "verify") + ": " +
        r.status.ToString() + ", " + std::to_string(r.edits.size()) + " edits" +
        (r.report.torn_tail ? ", torn tail at " + std::to_string(r.report.torn_tail_offset) : ""));
  FUZZ_CHECK(r.report.valid_end_offset <= r.report.file_size_bytes,
             "valid end past the end of the file");
  FUZZ_CHECK(r.status.ok() || r.status.IsCorruption() || r.status.IsNotSupported(),
             "unexpected status from a MemEnv read: " + r.status.ToString());
  return r;
}

void FuzzManifestFile(const std::string& file) {
  MemEnv env;
  const std::string path = "/m/" + ManifestFileName(kManifestNumber);
  FUZZ_CHECK(env.SetFileContentsDurably(path, file).ok(), "writing the input");
  ReadResult verify = Read(&env, manifest::ManifestReadMode::kVerifyOnly);
  FUZZ_CHECK(env.ReadFileContents(path).value() == file, "verify-only changed the file");
  ReadResult recover = Read(&env, manifest::ManifestReadMode::kRecover);
  FUZZ_CHECK(verify.status.ToString() == recover.status.ToString(),
             "verify-only and recover disagree: " + verify.status.ToString() + " vs " +
                 recover.status.ToString());
  FUZZ_CHECK(verify.edits == recover.edits, "verify-only and recover read different edits");
  if (!recover.status.ok()) {
    return;
  }
  FUZZ_CHECK(recover.report.edit_count == recover.edits.size(), "edit count is wrong");
  FUZZ_CHECK(!recover.edits.empty() && recover.edits[0].is_snapshot(),
             "a manifest read OK without a snapshot edit first");
  if (recover.report.torn_tail) {
    FUZZ_CHECK(recover.report.torn_tail_truncated, "recover mode left a torn tail in place");
    FUZZ_CHECK(env.GetFileSize(path).value() == recover.report.torn_tail_offset,
               "the torn tail was not cut at its offset");
    ReadResult after = Read(&env, manifest::ManifestReadMode::kVerifyOnly);
    FUZZ_CHECK(after.status.ok(),
               "a manifest cut at its torn tail does not read back: " + after.status.ToString());
    FUZZ_CHECK(!after.report.torn_tail, "a cut manifest still has a torn tail");
    FUZZ_CHECK(after.edits == recover.edits, "a cut manifest reads different edits");
  }
}

void FuzzDbOpen(const std::string& manifest_file) {
  const DbTemplate& t = GetDbTemplate(DbTemplateKind::kWithSegments);
  std::map<std::string, std::string> files = t.files;
  files[t.manifest_name] = manifest_file;
  std::unique_ptr<MemEnv> env = NewEnvWithFiles(files);
  Options options;
  options.env = env.get();
  options.wal_preallocate_bytes = kFuzzWalPreallocateBytes;
  options.create_if_missing = false;
  std::unique_ptr<DB> db;
  Status s = DB::Open(options, kFuzzDbDir, &db);
  Trace("DB::Open: " + s.ToString());
  if (!s.ok()) {
    return;
  }
  Status read;
  std::map<std::string, std::string> first = ReadAllChecked(db.get(), &read);
  FUZZ_CHECK(read.ok() || read.IsCorruption(), "unexpected read error: " + read.ToString());
  if (!read.ok()) {
    return;  // a segment damaged in a way only a read finds; nothing to compare
  }
  db.reset();
  s = DB::Open(options, kFuzzDbDir, &db);
  FUZZ_CHECK(s.ok(), "a database that opened does not reopen: " + s.ToString());
  std::map<std::string, std::string> second = ReadAllChecked(db.get(), &read);
  FUZZ_CHECK(read.ok(), "reads fail after the second open: " + read.ToString());
  FUZZ_CHECK(first == second, "a second open shows different contents");
}

}  // namespace
}  // namespace cairn::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cairn::fuzz;
  FlaggedInput input = SplitFlags(data, size);
  const int mode = (input.flags >> 1) & 3;
  if (mode == 0) {
    FuzzEdit(input.payload);
    return 0;
  }
  if (mode == 2) {
    FuzzMetaAndCurrent(input.payload);
    return 0;
  }
  std::string file(input.payload);
  if ((input.flags & kAdoptFile) != 0 || mode == 3) {
    const DbTemplate& t = GetDbTemplate(DbTemplateKind::kWithSegments);
    AdoptRecordFile(&file, mode == 1 ? kManifestNumber : t.manifest_number, t.db_id);
  }
  if ((input.flags & kFixChecksums) != 0) {
    FixRecordChecksums(&file);
  }
  if (mode == 1) {
    FuzzManifestFile(file);
  } else {
    FuzzDbOpen(file);
  }
  return 0;
}
