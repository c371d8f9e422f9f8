// make_corpus: writes the seed corpora of the fuzz targets (fuzz/corpus/<name>/).
//
// Every seed is a file produced by the engine's own writers — a database in a MemEnv that
// takes writes, flushes and compacts — plus a few damaged copies (cut short, a flipped byte,
// a flipped byte whose checksum is then fixed by the target). Each seed starts with the flag
// byte its target reads (see the target's header comment). The output is deterministic: the
// databases are made through DeterministicEnv (fixed clock and random bytes), so rerunning it
// reproduces the checked-in corpus byte for byte (unless background flush timing differs).
//
// Usage: make_corpus OUT_DIR     (OUT_DIR/wal, OUT_DIR/manifest, ... are created)
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>

#include "cairn/db.h"
#include "cairn/options.h"
#include "deterministic_env.h"
#include "fuzz_util.h"
#include "testsupport/mem_env.h"
#include "util/filename.h"

namespace cairn::fuzz {
namespace {

namespace fs = std::filesystem;

// Flag bits of the targets (kept in step with their header comments).
constexpr uint8_t kWalRecovery = 1u << 1, kWalAdopt = 1u << 2, kWalSalvage = 1u << 3,
                  kWalTwoLogs = 1u << 4;
constexpr uint8_t kManifestModeFile = 1u << 1, kManifestModeMeta = 2u << 1,
                  kManifestModeDb = 3u << 1, kManifestAdopt = 1u << 3;
constexpr uint8_t kSegmentUseCache = 1u << 1, kSegmentInDatabase = 1u << 2;

void WriteSeed(const fs::path& dir, const std::string& name, uint8_t flags,
               const std::string& payload) {
  fs::create_directories(dir);
  std::ofstream out(dir / name, std::ios::binary);
  out.put(static_cast<char>(flags));
  out.write(payload.data(), static_cast<std::streamsize>(payload.size()));
  FUZZ_CHECK(out.good(), "writing " + (dir / name).string());
}

std::string Cut(const std::string& s, size_t keep) { return s.substr(0, std::min(keep, s.size())); }
std::string Flip(std::string s, size_t at) {
  if (!s.empty()) s[at % s.size()] ^= 0x20;
  return s;
}

// The database's files by type: the newest file of each kind.
struct DbFiles {
  std::string wal, manifest, segment;
};

DbFiles Collect(MemEnv* env) {
  DbFiles files;
  auto children = env->GetChildren(kFuzzDbDir);
  FUZZ_CHECK(children.ok(), "listing the database");
  for (const std::string& name : children.value()) {
    FileType type;
    uint64_t number = 0;
    if (!ParseFileName(name, &type, &number)) continue;
    std::string contents = env->ReadFileContents(std::string(kFuzzDbDir) + "/" + name).value();
    if (type == FileType::kWal) files.wal = contents;
    if (type == FileType::kManifest) files.manifest = contents;
    if (type == FileType::kSegment && (contents.size() > files.segment.size())) {
      files.segment = contents;  // the largest: the compaction output, several blocks
    }
  }
  return files;
}

void Check(const Status& s, const char* what) {
  FUZZ_CHECK(s.ok(), std::string(what) + ": " + s.ToString());
}

// Writes a few batches into a new database; with `flush`, also flushes and compacts so the
// manifest holds segments and edits. Returns its files, read while the database is open
// (the WAL still holds the writes).
DbFiles MakeDb(Compression compression, int bloom_bits, bool flush) {
  DeterministicEnv denv;
  MemEnv& env = *denv.mem();
  Options options;
  options.env = &denv;
  options.compression = compression;
  options.bloom_bits_per_key = bloom_bits;
  options.block_size_bytes = 256;  // several small blocks per segment
  std::unique_ptr<DB> db;
  Check(DB::Open(options, kFuzzDbDir, &db), "open");
  for (int i = 0; i < 24; i++) {
    std::string key = "key" + std::to_string(i * 7 % 24);
    Check(db->Put(WriteOptions(), key, std::string(i % 5 + 1, static_cast<char>('a' + i))), "put");
    if (i % 6 == 5) Check(db->Delete(WriteOptions(), "key" + std::to_string(i - 3)), "delete");
  }
  WriteBatch batch;
  batch.Put("batch-a", "1");
  batch.Delete("key3");
  batch.Put(std::string("bin\0\xff", 5), std::string(40, 'z'));
  Check(db->Write(WriteOptions(), batch), "write");
  if (flush) {
    Check(db->Flush(), "flush");
    Check(db->Put(WriteOptions(), "after-flush", "v"), "put");
    Check(db->Flush(), "flush");
    Check(db->CompactRange(nullptr, nullptr), "compact");
    Check(db->Put(WriteOptions(), "tail", "in the wal"), "put");
  }
  return Collect(&env);
}

void MakeWalSeeds(const fs::path& dir) {
  DbFiles f = MakeDb(Compression::kNone, 10, false);
  WriteSeed(dir, "valid", 0, f.wal);
  WriteSeed(dir, "valid-recover", kWalRecovery | kWalAdopt | kFixChecksums, f.wal);
  WriteSeed(dir, "valid-salvage", kWalRecovery | kWalAdopt | kWalSalvage | kFixChecksums, f.wal);
  WriteSeed(dir, "header-only", kWalRecovery | kWalAdopt | kFixChecksums, Cut(f.wal, 56));
  WriteSeed(dir, "torn-tail", kWalRecovery | kWalAdopt | kFixChecksums,
            Cut(f.wal, f.wal.size() - 9));
  WriteSeed(dir, "flipped-middle", kWalRecovery | kWalAdopt, Flip(f.wal, f.wal.size() / 2));
  WriteSeed(dir, "flipped-fixed", kWalRecovery | kWalAdopt | kFixChecksums, Flip(f.wal, 100));
  WriteSeed(dir, "short-header", 0, Cut(f.wal, 30));
  // Two logs (kWalTwoLogs): split:u16, then both files back to back.
  auto two = [](const std::string& a, const std::string& b) {
    std::string out;
    out.push_back(static_cast<char>(a.size() & 0xff));
    out.push_back(static_cast<char>(a.size() >> 8));
    return out + a + b;
  };
  const uint8_t two_logs = kWalTwoLogs | kWalRecovery | kWalAdopt | kFixChecksums;
  WriteSeed(dir, "two-logs-older-empty", two_logs, two(Cut(f.wal, 56), f.wal));
  WriteSeed(dir, "two-logs-newer-empty", two_logs, two(f.wal, Cut(f.wal, 56)));
  WriteSeed(dir, "two-logs-newer-torn-header", two_logs, two(f.wal, Cut(f.wal, 20)));
}

void MakeManifestSeeds(const fs::path& dir) {
  DbFiles f = MakeDb(Compression::kLZ4, 10, true);
  const std::string& m = f.manifest;
  WriteSeed(dir, "file-valid", kManifestModeFile | kManifestAdopt | kFixChecksums, m);
  WriteSeed(dir, "file-raw", kManifestModeFile, m);
  WriteSeed(dir, "file-torn", kManifestModeFile | kManifestAdopt | kFixChecksums,
            Cut(m, m.size() - 5));
  WriteSeed(dir, "file-flipped", kManifestModeFile | kManifestAdopt | kFixChecksums,
            Flip(m, m.size() - 30));
  // The manifest of the template DB.Open runs over (mode 3), as it is and damaged.
  const DbTemplate& t = GetDbTemplate(DbTemplateKind::kWithSegments);
  const std::string& tm = t.files.at(t.manifest_name);
  WriteSeed(dir, "db-valid", kManifestModeDb, tm);
  WriteSeed(dir, "db-torn", kManifestModeDb | kFixChecksums, Cut(tm, tm.size() - 3));
  WriteSeed(dir, "db-flipped-fixed", kManifestModeDb | kFixChecksums, Flip(tm, tm.size() / 2));
  WriteSeed(dir, "db-foreign", kManifestModeDb | kManifestAdopt | kFixChecksums, m);
  // The records' payloads alone: encoded edits for mode 0. The first record starts after
  // the 56-byte header; its 40-byte header holds the payload length at offset 4.
  size_t offset = 56;
  for (int i = 0; offset + 40 <= m.size() && i < 4; i++) {
    uint32_t length = static_cast<uint8_t>(m[offset + 4]) |
                      static_cast<uint8_t>(m[offset + 5]) << 8 |
                      static_cast<uint8_t>(m[offset + 6]) << 16 |
                      static_cast<uint32_t>(static_cast<uint8_t>(m[offset + 7])) << 24;
    if (offset + 40 + length > m.size()) break;
    std::string edit = m.substr(offset + 40, length);
    WriteSeed(dir, "edit-" + std::to_string(i), 0, edit);
    offset += 40 + length;
  }
  WriteSeed(dir, "current", kManifestModeMeta,
            "cairn-current v1\nmanifest 000012.manifest\ncrc32c 00000000\n");
}

void MakeSegmentSeeds(const fs::path& dir) {
  const struct {
    const char* name;
    Compression compression;
    int bloom_bits;
  } kinds[] = {{"raw", Compression::kNone, 10},
               {"lz4", Compression::kLZ4, 10},
               {"zstd", Compression::kZstd, 0}};
  for (const auto& k : kinds) {
    DbFiles f = MakeDb(k.compression, k.bloom_bits, true);
    const std::string name = k.name;
    WriteSeed(dir, name, 0, f.segment);
    WriteSeed(dir, name + "-cached", kSegmentUseCache, f.segment);
    WriteSeed(dir, name + "-flipped-fixed", kFixChecksums, Flip(f.segment, f.segment.size() / 3));
  }
  // The template's largest segment, which the kInDatabase mode replaces.
  const DbTemplate& t = GetDbTemplate(DbTemplateKind::kWithSegments);
  std::string largest;
  for (const auto& [file, contents] : t.files) {
    FileType type;
    uint64_t number = 0;
    if (ParseFileName(file, &type, &number) && type == FileType::kSegment &&
        contents.size() > largest.size()) {
      largest = contents;
    }
  }
  WriteSeed(dir, "db-valid", kSegmentInDatabase, largest);
  WriteSeed(dir, "db-flipped-fixed", kSegmentInDatabase | kFixChecksums,
            Flip(largest, largest.size() / 4));
  WriteSeed(dir, "db-flipped", kSegmentInDatabase, Flip(largest, largest.size() / 2));
}

void MakeCliSeeds(const fs::path& dir) {
  fs::create_directories(dir);
  const std::map<std::string, std::string> seeds = {
      {"shell",
       "put a 1\nput b two words\nget a\ndel a\nget a\nscan\nscan a z 5\nstats\nhelp\nquit\n"},
      {"load", "k1\tv1\nk2\tv\twith\ttabs\n\tno key\nno tab\nk3\t\n"},
      {"scan-limits", "put k v\nscan a z x\nscan a z -1\nscan a z 18446744073709551616\nscan\n"},
      {"options",
       "# engine options\nmemtable_size_bytes = 4KiB\ncompression=zstd\nwal_recovery=salvage\n"
       "create_if_missing=false\nbloom_bits_per_key=33\nblock_cache_bytes=18446744073709551616\n"
       "level1_size_bytes=1TiBx\nno_such_option=1\nmissing equals\n"},
      {"spaces", "  put \t key\t  value with  spaces  \n\v\f\r\nexit\n"},
  };
  for (const auto& [name, text] : seeds) {
    std::ofstream out(dir / name, std::ios::binary);
    out << text;
  }
}

}  // namespace
}  // namespace cairn::fuzz

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_corpus OUT_DIR\n");
    return 1;
  }
  const std::filesystem::path out = argv[1];
  cairn::fuzz::MakeWalSeeds(out / "wal");
  cairn::fuzz::MakeManifestSeeds(out / "manifest");
  cairn::fuzz::MakeSegmentSeeds(out / "segment");
  cairn::fuzz::MakeCliSeeds(out / "cli");
  return 0;
}
