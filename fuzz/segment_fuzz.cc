// Fuzz target: the segment reader — Open (footer, properties, index, filter), iterators in
// both directions, Seek, Get, and VerifyAllBlocks.
//
// Input: a flag byte, then the bytes of one segment file.
//   bit 0 (kFixChecksums)  rewrite the footer and block CRCs first (fuzz_util.h), so the
//                          fuzzer reaches the block decoders behind the checksums;
//   bit 1 (kUseCache)      open the segment with a small block cache (else none);
//   bit 2 (kInDatabase)    also put the file in place of the largest segment of the template
//                          database with segments (fuzz_util.h) — cut or zero-padded to the
//                          size the manifest records, checksums fixed after that if bit 0 is
//                          set — then DB::Open, read everything, CompactRange, and reopen.
// What must hold, for every input:
//   - no crash, leak, hang or sanitizer report; errors are Corruption or NotSupported;
//   - scans yield internal keys (at least the 8-byte trailer); a backward scan yields the
//     forward scan's entries reversed, whenever both finish without error;
//   - if VerifyAllBlocks passes, then for every entry seen Seek(key) lands on it, and
//     Get(user key, its sequence) answers with it (found with its value for a put, deleted
//     for a deletion) or, at most, not present (a filter or key range that does not match
//     the data passes every checksum; it can only cost a miss, never a wrong answer);
//   - in a database: Open, reads and CompactRange return OK or Corruption; when all of them
//     succeed, a reopened database holds the same contents (key order and Get are not
//     checked here, as the file may be forged: see ReadAllChecked in fuzz_util.h);
//   - VerifyAllBlocks OK implies the scan finished OK with properties().entry_count entries
//     in strictly increasing internal-key order.
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cairn/db.h"
#include "fuzz_util.h"
#include "segment/block_cache.h"
#include "segment/segment.h"
#include "testsupport/mem_env.h"
#include "util/filename.h"
#include "util/internal_key.h"

namespace cairn::fuzz {
namespace {

constexpr uint8_t kUseCache = 1u << 1;
constexpr uint8_t kInDatabase = 1u << 2;
// Entries checked one by one with Seek and Get: enough to cover several blocks of a small
// input, few enough that one input stays fast.
constexpr size_t kMaxPointChecks = 256;
// A small cache: evictions happen even for small inputs.
constexpr size_t kCacheBytes = 16u << 10;
constexpr uint64_t kSegmentNumber = 9;

using Entries = std::vector<std::pair<std::string, std::string>>;

bool IsReadError(const Status& s) { return s.IsCorruption() || s.IsNotSupported(); }

// Scans forward (or backward), collecting the entries in the order seen. Returns the scan's
// status. The order is not checked here: the reader trusts the order of entries in a block
// whose checksum matches (only VerifyAllBlocks checks it), so a file forged with correct
// checksums may list keys out of order; CheckOrder applies once the file passed verify.

Status Scan(const segment::Segment& seg, bool forward, Entries* entries) {
  std::unique_ptr<InternalIterator> it = seg.NewIterator();
  forward ? it->SeekToFirst() : it->SeekToLast();
  for (; it->Valid(); forward ? it->Next() : it->Prev()) {
    std::string_view key = it->key();
    FUZZ_CHECK(key.size() >= kTrailerSize, "iterator yields a key shorter than its trailer");
    entries->emplace_back(std::string(key), std::string(it->value()));
  }
  Status s = it->status();
  FUZZ_CHECK(s.ok() || IsReadError(s), "unexpected iterator status: " + s.ToString());
  return s;
}

void CheckOrder(const Entries& entries) {
  for (size_t i = 1; i < entries.size(); i++) {
    FUZZ_CHECK(CompareInternalKeys(entries[i - 1].first, entries[i].first) < 0,
               "a segment that passed verify lists keys out of order");
  }
}

// Seeks to and gets the entries seen by a scan. With `strict` (the file passed
// VerifyAllBlocks, so its index is consistent with its blocks) the answers must match the
// scan; otherwise only the absence of crashes and of unexpected statuses is checked.
void CheckPoints(const segment::Segment& seg, const Entries& entries, bool strict) {
  std::unique_ptr<InternalIterator> it = seg.NewIterator();
  for (size_t i = 0; i < entries.size() && i < kMaxPointChecks; i++) {
    const auto& [key, value] = entries[i];
    it->Seek(key);
    if (!it->status().ok()) {
      FUZZ_CHECK(IsReadError(it->status()), "unexpected Seek status");
      return;  // the iterator's error is sticky
    }
    FUZZ_CHECK(!strict || (it->Valid() && it->key() == key),
               "Seek does not land on an entry the scan listed");
    std::string got;
    segment::GetResult result = segment::GetResult::kNotPresent;
    Status s = seg.Get(ExtractUserKey(key), ExtractSequence(key), &result, &got);
    if (!s.ok()) {
      FUZZ_CHECK(IsReadError(s), "unexpected Get status: " + s.ToString());
      continue;
    }
    // Get answers with the first entry at (user key, sequence <= its sequence). When the
    // previous entry has the same user key and sequence (another kind), that one answers.
    bool shadowed = i > 0 && ExtractUserKey(entries[i - 1].first) == ExtractUserKey(key) &&
                    ExtractSequence(entries[i - 1].first) == ExtractSequence(key);
    // kNotPresent stays possible: a Bloom filter or key range that does not match the data
    // cannot be detected by any check of a file whose checksums are right.
    if (!strict || shadowed || result == segment::GetResult::kNotPresent) {
      continue;
    }
    if (ExtractKind(key) == ValueKind::kPut) {
      FUZZ_CHECK(result == segment::GetResult::kFound && got == value,
                 "Get answers differently from the entry the scan listed (put)");
    } else if (ExtractKind(key) == ValueKind::kDelete) {
      FUZZ_CHECK(result == segment::GetResult::kDeleted,
                 "Get answers differently from the entry the scan listed (deletion)");
    }
  }
}

void FuzzSegment(const std::string& file, bool use_cache) {
  MemEnv env;
  const std::string path = "/s/000009.seg";
  FUZZ_CHECK(env.SetFileContentsDurably(path, file).ok(), "writing the input");
  std::unique_ptr<segment::BlockCache> cache;
  if (use_cache) {
    cache = std::make_unique<segment::BlockCache>(kCacheBytes);
  }
  auto opened = segment::Segment::Open(&env, path, kSegmentNumber, file.size(), cache.get());
  Trace("open: " + opened.status().ToString());
  if (!opened.ok()) {
    FUZZ_CHECK(IsReadError(opened.status()),
               "unexpected Open status: " + opened.status().ToString());
    return;
  }
  const segment::Segment& seg = *opened.value();
  Entries forward, backward;
  Status fs = Scan(seg, true, &forward);
  Status bs = Scan(seg, false, &backward);
  if (fs.ok() && bs.ok()) {
    FUZZ_CHECK(forward.size() == backward.size(), "forward and backward scans differ in length");
    for (size_t i = 0; i < forward.size(); i++) {
      FUZZ_CHECK(forward[i] == backward[backward.size() - 1 - i],
                 "forward and backward scans differ");
    }
  }
  uint64_t blocks = 0;
  Status vs = seg.VerifyAllBlocks(&blocks);
  Trace("scans: " + fs.ToString() + " / " + bs.ToString() + ", " + std::to_string(forward.size()) +
        " entries; verify: " + vs.ToString() + ", " + std::to_string(blocks) + " blocks");
  FUZZ_CHECK(vs.ok() || IsReadError(vs), "unexpected verify status: " + vs.ToString());
  if (vs.ok()) {
    FUZZ_CHECK(fs.ok(), "verify passes a segment whose scan fails: " + fs.ToString());
    FUZZ_CHECK(forward.size() == seg.properties().entry_count,
               "verify passes a segment whose entry count is wrong");
    CheckOrder(forward);
  }
  CheckPoints(seg, forward, vs.ok());
}

// The name of the template's largest segment.
const std::string& LargestTemplateSegment() {
  static const std::string* name = [] {
    auto* largest = new std::string;
    const DbTemplate& t = GetDbTemplate(DbTemplateKind::kWithSegments);
    for (const auto& [file, contents] : t.files) {
      FileType type;
      uint64_t number = 0;
      if (ParseFileName(file, &type, &number) && type == FileType::kSegment &&
          (largest->empty() || contents.size() > t.files.at(*largest).size())) {
        *largest = file;
      }
    }
    FUZZ_CHECK(!largest->empty(), "the template database has no segment");
    return largest;
  }();
  return *name;
}

// Known bugs 3 and 4 (docs/fuzzing.md, "Findings"): compaction does not reject input entries
// that VerifyAllBlocks calls out of order (bug 4: SegmentBuilder::Add asserts; reproducer
// fuzz/corpus/segment/bug4-compaction-keys-out-of-order) or of unknown kind (bug 3:
// InvalidArgument), and bug 5: an entry whose sequence number lies outside the range the
// segment's properties record passes every check, and the compaction's edit then breaks the
// edit invariants (ManifestWriter asserts; reproducer
// fuzz/corpus/segment/bug5-compaction-sequence-past-range). Whether the segment `name` in
// `env` has any of these, so that a run that skips known bugs does not compact it.
bool HitsKnownCompactionBug(MemEnv* env, const std::string& name, uint64_t size) {
  auto seg = segment::Segment::Open(env, std::string(kFuzzDbDir) + "/" + name, 1, size, nullptr);
  if (!seg.ok()) {
    return false;
  }
  uint64_t blocks = 0;
  Status s = seg.value()->VerifyAllBlocks(&blocks);
  if (s.message().find("key out of order") != std::string::npos ||
      s.message().find("entry of unknown kind") != std::string::npos) {
    return true;
  }
  // Bug 4 where verify stops at another problem first; bug 5: an entry whose sequence number
  // lies outside the range the properties record.
  std::unique_ptr<InternalIterator> it = seg.value()->NewIterator(false);
  std::string previous;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (!previous.empty() && CompareInternalKeys(previous, it->key()) >= 0) {
      return true;
    }
    previous.assign(it->key());
    uint64_t seq = ExtractSequence(it->key());
    if (seq > seg.value()->properties().max_sequence ||
        seq < seg.value()->properties().min_sequence) {
      return true;
    }
  }
  return false;
}

// Opens the template database with `segment` in place of its largest segment, reads it,
// compacts it and reopens it.
void FuzzInDatabase(std::string segment, bool fix_checksums) {
  const DbTemplate& t = GetDbTemplate(DbTemplateKind::kWithSegments);
  std::map<std::string, std::string> files = t.files;
  const std::string& name = LargestTemplateSegment();
  segment.resize(files[name].size(), '\0');
  if (fix_checksums) {
    FixSegmentChecksums(&segment);
  }
  files[name] = segment;
  std::unique_ptr<MemEnv> env = NewEnvWithFiles(files);
  Options options;
  options.env = env.get();
  options.wal_preallocate_bytes = kFuzzWalPreallocateBytes;
  options.create_if_missing = false;
  std::unique_ptr<DB> db;
  Status s = DB::Open(options, kFuzzDbDir, &db);
  Trace("in database: open: " + s.ToString());
  if (!s.ok()) {
    FUZZ_CHECK(IsReadError(s), "unexpected DB::Open status: " + s.ToString());
    return;
  }
  if (SkipKnownBugs() && HitsKnownCompactionBug(env.get(), name, segment.size())) {
    return;
  }
  Status read;
  // The segment may be forged: see ReadAllChecked.
  std::map<std::string, std::string> before =
      ReadAllChecked(db.get(), &read, /*forged_segments=*/true);
  Status compacted = db->CompactRange(nullptr, nullptr);
  Trace("in database: read: " + read.ToString() + "; compact: " + compacted.ToString());
  FUZZ_CHECK(read.ok() || IsReadError(read), "unexpected read status: " + read.ToString());
  // Known bug 3 (docs/fuzzing.md, "Findings"; fuzz/corpus/segment/bug3-compaction-unknown-kind):
  // an input entry of unknown kind reaches SegmentBuilder::Add, and CompactRange returns its
  // InvalidArgument instead of a Corruption naming the input file.
  bool known_bug_3 = SkipKnownBugs() && compacted.IsInvalidArgument() &&
                     compacted.message().find("unknown value kind") != std::string::npos;
  FUZZ_CHECK(compacted.ok() || IsReadError(compacted) || known_bug_3,
             "unexpected CompactRange status: " + compacted.ToString());
  if (!read.ok() || !compacted.ok()) {
    return;
  }
  db.reset();
  s = DB::Open(options, kFuzzDbDir, &db);
  FUZZ_CHECK(s.ok(), "a compacted database does not reopen: " + s.ToString());
  std::map<std::string, std::string> after =
      ReadAllChecked(db.get(), &read, /*forged_segments=*/true);
  FUZZ_CHECK(read.ok(), "reads fail after compaction and reopen: " + read.ToString());
  FUZZ_CHECK(before == after, "compaction and reopen changed the contents");
}

}  // namespace
}  // namespace cairn::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cairn::fuzz;
  FlaggedInput input = SplitFlags(data, size);
  std::string file(input.payload);
  if ((input.flags & kFixChecksums) != 0) {
    FixSegmentChecksums(&file);
  }
  FuzzSegment(file, (input.flags & kUseCache) != 0);
  if ((input.flags & kInDatabase) != 0) {
    FuzzInDatabase(std::string(input.payload), (input.flags & kFixChecksums) != 0);
  }
  return 0;
}
