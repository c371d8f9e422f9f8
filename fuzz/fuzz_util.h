// Helpers shared by the fuzz targets (fuzz/*_fuzz.cc) and the seed corpus generator
// (fuzz/make_corpus.cc).
//
// Cairn's files are protected by CRC32C checksums, so random bytes almost never get past the
// first check. The Fix*Checksums functions let a target rewrite an input's checksums before
// handing it to the engine (when the input's flag byte asks for it), so the fuzzer can reach
// the validation that comes after the checksum: lengths, counts, key order, edit invariants.
// They walk the input with their own bounds checks and never trust it; on bytes they cannot
// follow they stop and leave the rest as it is.
#ifndef CAIRN_FUZZ_FUZZ_UTIL_H_
#define CAIRN_FUZZ_FUZZ_UTIL_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "cairn/db.h"
#include "testsupport/mem_env.h"

namespace cairn::fuzz {

// Reports a broken invariant (what the engine returned contradicts what it promised) and
// aborts, so libFuzzer records the input as a crash. Never returns.
[[noreturn]] void InvariantFailed(const char* file, int line, const std::string& what);

#define FUZZ_CHECK(cond, what)                                    \
  do {                                                            \
    if (!(cond)) {                                                \
      ::cairn::fuzz::InvariantFailed(__FILE__, __LINE__, (what)); \
    }                                                             \
  } while (0)

// Prints `what` to stderr when the environment variable CAIRN_FUZZ_VERBOSE is set (when
// replaying one input, to see which statuses it produced); otherwise does nothing.
void Trace(const std::string& what);

// Whether the environment variable CAIRN_FUZZ_SKIP_KNOWN_BUGS is set. Targets check it where
// an engine bug that is reported but not yet fixed would otherwise stop every run at once
// (each such place names the bug and its reproducer in the corpus; docs/fuzzing.md,
// "Findings"). Unset — the default, and what CI does — every known bug still fails.
bool SkipKnownBugs();

// The first byte of every input is a flag byte; the rest is the payload. Bit meanings are
// per target; kFixChecksums is shared.
inline constexpr uint8_t kFixChecksums = 1u << 0;
struct FlaggedInput {
  uint8_t flags = 0;
  std::string_view payload;
};
FlaggedInput SplitFlags(const uint8_t* data, size_t size);

// Record framing (record/record_format.h: WAL and manifest files): rewrites the 56-byte header's
// CRC, then walks the records from offset 56 and rewrites each record's CRC, seeded from the
// header's db_id and file number and the record's offset, for as long as a record's length fits in
// the file.
void FixRecordChecksums(std::string* file);

// Record framing: makes a file belong to another database and file number. Writes `number`
// into the header's file_number and replaces every occurrence of the header's db_id (the
// header's own and, in a manifest, the snapshot edit's) with `db_id` (16 bytes). Files
// shorter than a header are left alone.
void AdoptRecordFile(std::string* file, uint64_t number, std::string_view db_id);

// Segment files: rewrites the footer CRC (if the footer's size field says version 1's 68
// bytes), the trailer CRC of the index, filter and properties blocks named by the footer, and
// that of every data block named by an uncompressed index block. Handles outside the file are
// skipped.
void FixSegmentChecksums(std::string* file);

// The files of a closed database made in a MemEnv (IDENTITY, CURRENT, the manifest, the
// WAL, segments), captured once so each input can start from a copy of them.
struct DbTemplate {
  std::map<std::string, std::string> files;  // file name -> contents
  std::string wal_name;                      // the newest WAL, e.g. "000003.wal"
  uint64_t wal_number = 0;
  std::string manifest_name;  // the manifest CURRENT names
  uint64_t manifest_number = 0;
  std::string db_id;  // 16 bytes, from the WAL header
};
// kEmpty: freshly created, no data (one WAL, a manifest with only a snapshot).
// kWithSegments: a few writes, two flushes and a full compaction, then more writes (so the
// manifest holds several edits, the segments exist, and the WAL holds records).
enum class DbTemplateKind { kEmpty, kWithSegments };
// Creates the template (once per process and kind; later calls return the same one).
const DbTemplate& GetDbTemplate(DbTemplateKind kind = DbTemplateKind::kEmpty);

// A fresh MemEnv holding `files` durably under kFuzzDbDir.
inline constexpr const char* kFuzzDbDir = "/db";
// Every database a target opens zero-fills its new WAL with this many bytes (the default 8 MiB
// would be copied and scanned for every input): small, so the path stays exercised.
inline constexpr size_t kFuzzWalPreallocateBytes = 4096;
std::unique_ptr<MemEnv> NewEnvWithFiles(const std::map<std::string, std::string>& files);

// `bytes` with everything outside printable ASCII (and the backslash) as \xNN.
std::string Printable(std::string_view bytes);

// Reads every live key of `db` with an iterator and checks what reading promises: keys
// strictly increasing, and Get of each key returns the iterator's value. Returns the
// key/value map, or sets *status to the first read error (a clean error is allowed; the
// caller decides).
// Pass forged_segments = true when a segment file may be forged (checksums right, contents
// not what a writer produces); then neither promise is checked. The reader trusts the order
// of entries in a checksummed block (only VerifyAllBlocks checks it), and a Bloom filter
// block that does not match its keys passes every check the engine makes (VerifyAllBlocks
// does not test keys against the filter), so Get may skip the file while iteration does not.
std::map<std::string, std::string> ReadAllChecked(DB* db, Status* status,
                                                  bool forged_segments = false);

}  // namespace cairn::fuzz

#endif  // CAIRN_FUZZ_FUZZ_UTIL_H_
