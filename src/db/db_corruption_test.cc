// Proves that damage to a segment, the manifest or CURRENT is always reported as Corruption
// through the DB API, never skipped, never crashing, and never spread (DESIGN.md §1 items 4
// and 8; issue 3 items 1, 2 and 5):
//   - a flipped byte in a data block: Get of a key in that block returns Corruption naming
//     the segment file and the block's offset, and an iterator stops there with that status
//     in either direction (it never skips to the keys beyond);
//   - a compaction over that block fails, leaves no output file behind, and puts the DB in
//     its read-only state with the Corruption in "cairn.background-error";
//   - at open: a segment the manifest lists but the directory lacks, a truncated segment, a
//     missing CURRENT while IDENTITY exists, any flipped byte in CURRENT, and a flipped byte
//     in a manifest record that a later record proves was synced are each Corruption naming
//     what is damaged, and the refused open changes nothing in the directory;
//   - a bit flip anywhere in each block kind of a segment (data, index, filter, properties,
//     footer) is Corruption at open (metadata blocks, checked when the segment is opened) or
//     at the first read of the block (data), never a crash and never wrong data.
//
// How: databases on MemEnv written with Options::compression = kNone and small data blocks,
// so that the test can find each block from the segment's footer and index (parsed here from
// the byte layout in docs/format-segment.md, independently of the reader) and the manifest's
// record offsets (from its reader), and flip the byte it means to with MemEnv::CorruptByte.
// "Nothing changes" compares every file's name and content before and after the refused
// open, except the info log (LOG, LOG.old), which records the refusal.
//
// CAIRN_TEST_SCALE (default 1, 0.25 in sanitizer builds) thins the every-byte sweep.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cairn/db.h"
#include "db/identity.h"
#include "env/env_util.h"
#include "manifest/current_file.h"
#include "manifest/manifest_reader.h"
#include "testsupport/mem_env.h"
#include "testutil.h"
#include "util/filename.h"

namespace cairn {
namespace {

using test::Key;
using test::TestScale;
using test::Value;

constexpr char kDir[] = "/db";

// The sweep visits every `stride`-th byte: every byte at scale 1.
size_t Stride(size_t at_scale_one) {
  return std::max<size_t>(1, static_cast<size_t>(static_cast<double>(at_scale_one) / TestScale()));
}

// --- The segment layout, read from the bytes as docs/format-segment.md defines them ---------

constexpr size_t kFooterBytes = 68;
constexpr size_t kTrailerBytes = 5;

struct Handle {
  uint64_t offset = 0;
  uint64_t size = 0;  // without the 5-byte trailer
  uint64_t end() const { return offset + size + kTrailerBytes; }
};

struct SegmentLayout {
  std::vector<Handle> data;
  std::vector<std::string> first_user_key;  // of each data block
  Handle index, filter, properties;
  uint64_t footer_offset = 0;
};

uint64_t Fixed(const std::string& bytes, size_t pos, int width) {
  uint64_t value = 0;
  for (int i = width - 1; i >= 0; i--) {
    value = value << 8 | static_cast<unsigned char>(bytes.at(pos + static_cast<size_t>(i)));
  }
  return value;
}

uint64_t Varint(const std::string& bytes, size_t* pos) {
  uint64_t value = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    unsigned char byte = static_cast<unsigned char>(bytes.at((*pos)++));
    value |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) break;
  }
  return value;
}

// Parses an intact, uncompressed segment: footer, then the index's block handles, then the
// first key of each data block.
SegmentLayout ParseLayout(const std::string& file) {
  SegmentLayout layout;
  layout.footer_offset = file.size() - kFooterBytes;
  const size_t f = layout.footer_offset;
  layout.index = {Fixed(file, f, 8), Fixed(file, f + 8, 8)};
  layout.filter = {Fixed(file, f + 16, 8), Fixed(file, f + 24, 8)};
  layout.properties = {Fixed(file, f + 32, 8), Fixed(file, f + 40, 8)};
  const std::string index = file.substr(layout.index.offset, layout.index.size);
  const uint64_t restarts = Fixed(index, index.size() - 4, 4);
  const size_t entries_end = index.size() - 4 - 4 * restarts;
  size_t pos = 0;
  std::string key;
  while (pos < entries_end) {
    uint64_t shared = Varint(index, &pos);
    uint64_t unshared = Varint(index, &pos);
    uint64_t value_length = Varint(index, &pos);
    key = key.substr(0, shared) + index.substr(pos, unshared);
    pos += unshared;
    size_t value_pos = pos;
    Handle handle;
    handle.offset = Varint(index, &value_pos);
    handle.size = Varint(index, &value_pos);
    pos += value_length;
    layout.data.push_back(handle);
    // A data block's first entry is a restart point: its key is stored whole.
    size_t entry = handle.offset;
    Varint(file, &entry);  // shared: 0
    uint64_t key_length = Varint(file, &entry);
    Varint(file, &entry);  // value length
    layout.first_user_key.push_back(file.substr(entry, key_length - 8));
  }
  return layout;
}

// --- Fixture ------------------------------------------------------------------------------

class DBCorruptionTest : public ::testing::Test {
 protected:
  DBCorruptionTest() {
    options_.env = &env_;
    options_.compression = Compression::kNone;
    options_.block_size_bytes = 1024;    // many data blocks
    options_.l0_compaction_trigger = 8;  // nothing compacts unless the test asks
  }
  ~DBCorruptionTest() override { db_.reset(); }

  Status Open() {
    db_.reset();
    return DB::Open(options_, kDir, &db_);
  }

  void Fill(int begin, int end, int version, int step = 1) {
    for (int i = begin; i < end; i += step) {
      ASSERT_OK(db_->Put(WriteOptions(), Key(i), Value(i, version)));
    }
  }

  // Segment file names (sorted, so oldest first).
  std::vector<std::string> Segments() {
    std::vector<std::string> names;
    for (const std::string& name : env_.GetChildren(kDir).value()) {
      FileType type;
      uint64_t number;
      if (ParseFileName(name, &type, &number) && type == FileType::kSegment) {
        names.push_back(name);
      }
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  std::string Path(const std::string& name) { return JoinPath(kDir, name); }

  // Every file's content, the info log aside.
  std::map<std::string, std::string> DirectoryImage() {
    std::map<std::string, std::string> image;
    for (const std::string& name : env_.GetChildren(kDir).value()) {
      if (name == "LOG" || name == "LOG.old") continue;
      image[name] = env_.ReadFileContents(Path(name)).value();
    }
    return image;
  }

  // Opens, expecting Corruption whose message holds every one of `names`, and checks the
  // directory is exactly as before.
  void ExpectOpenRefused(const std::vector<std::string>& names) {
    const auto before = DirectoryImage();
    Status s = Open();
    ASSERT_TRUE(s.IsCorruption()) << s.ToString();
    for (const std::string& name : names) {
      EXPECT_NE(s.message().find(name), std::string::npos) << s.ToString();
    }
    EXPECT_TRUE(DirectoryImage() == before) << "a refused open changed the directory";
  }

  MemEnv env_;
  Options options_;
  std::unique_ptr<DB> db_;
};

// --- Data blocks under reads -------------------------------------------------------------

TEST_F(DBCorruptionTest, FlippedByteInADataBlockFailsItsGetsAndStopsIteratorsThere) {
  for (bool compacted : {false, true}) {
    SCOPED_TRACE(compacted ? "segment in level 1" : "segment in level 0");
    const std::string dir = compacted ? "/db-compacted" : "/db";  // a new database per round
    auto open = [&] {
      db_.reset();
      return DB::Open(options_, dir, &db_);
    };
    ASSERT_OK(open());
    Fill(0, 400, 1);
    if (compacted) {
      ASSERT_OK(db_->CompactRange(nullptr, nullptr));
    } else {
      ASSERT_OK(db_->Flush());
    }
    db_.reset();
    std::string name;
    for (const std::string& child : env_.GetChildren(dir).value()) {
      FileType type;
      uint64_t number;
      if (ParseFileName(child, &type, &number) && type == FileType::kSegment) name = child;
    }
    ASSERT_FALSE(name.empty());
    const std::string path = JoinPath(dir, name);
    const SegmentLayout layout = ParseLayout(env_.ReadFileContents(path).value());
    ASSERT_GE(layout.data.size(), 10u);
    const size_t k = layout.data.size() / 2;
    const Handle block = layout.data[k];
    // Keys [first, limit) live in block k.
    const int first = std::stoi(layout.first_user_key[k].substr(3));
    const int limit = std::stoi(layout.first_user_key[k + 1].substr(3));
    ASSERT_LT(first, limit);
    ASSERT_OK(env_.CorruptByte(path, block.offset + block.size / 2, 0x10));
    const std::string where = name + " offset " + std::to_string(block.offset);

    ASSERT_OK(open());  // data blocks are checked when read
    for (int i : {first, (first + limit) / 2, limit - 1}) {
      for (int attempt = 0; attempt < 2; attempt++) {  // a damaged block is never cached
        std::string value;
        Status s = db_->Get(ReadOptions(), Key(i), &value);
        ASSERT_TRUE(s.IsCorruption()) << Key(i) << ": " << s.ToString();
        EXPECT_NE(s.message().find(where), std::string::npos) << s.ToString();
      }
    }
    for (int i : {0, first - 1, limit, 399}) {
      std::string value;
      ASSERT_OK(db_->Get(ReadOptions(), Key(i), &value));
      EXPECT_EQ(value, Value(i, 1));
    }
    // Forward: every key before the block, in order, then a stop with the error.
    std::unique_ptr<Iterator> it = db_->NewIterator(ReadOptions());
    int seen = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      ASSERT_EQ(it->key(), Key(seen)) << "a key was skipped or invented";
      seen++;
    }
    EXPECT_EQ(seen, first) << "the iterator went past the damaged block";
    EXPECT_TRUE(it->status().IsCorruption()) << it->status().ToString();
    EXPECT_NE(it->status().message().find(where), std::string::npos) << it->status().ToString();
    // Backward: every key after the block, then the same stop.
    it = db_->NewIterator(ReadOptions());
    int expected = 399;
    for (it->SeekToLast(); it->Valid(); it->Prev()) {
      ASSERT_EQ(it->key(), Key(expected)) << "a key was skipped or invented";
      expected--;
    }
    EXPECT_EQ(expected, limit - 1) << "the iterator went past the damaged block";
    EXPECT_TRUE(it->status().IsCorruption()) << it->status().ToString();
    // Seeking into the block stops at once; the error stays.
    it = db_->NewIterator(ReadOptions());
    it->Seek(Key(first));
    EXPECT_FALSE(it->Valid());
    EXPECT_TRUE(it->status().IsCorruption()) << it->status().ToString();
    it.reset();
    db_.reset();
  }
}

TEST_F(DBCorruptionTest, CompactionOverACorruptBlockFailsLeavesNoOutputAndMakesTheDbReadOnly) {
  ASSERT_OK(Open());
  Fill(0, 400, 1);
  ASSERT_OK(db_->Flush());
  Fill(0, 400, 2, /*step=*/2);
  ASSERT_OK(db_->Flush());
  db_.reset();
  const std::vector<std::string> segments = Segments();
  ASSERT_EQ(segments.size(), 2u);
  const std::string damaged = segments.front();  // the older file: keys 0..399, version 1
  const SegmentLayout layout = ParseLayout(env_.ReadFileContents(Path(damaged)).value());
  const size_t k = layout.data.size() / 2;
  ASSERT_OK(env_.CorruptByte(Path(damaged), layout.data[k].offset + 7, 0x01));

  ASSERT_OK(Open());
  Status s = db_->CompactRange(nullptr, nullptr);
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find(damaged + " offset " + std::to_string(layout.data[k].offset)),
            std::string::npos)
      << s.ToString();
  // No output of the failed compaction survives: damaged data is never rewritten.
  EXPECT_EQ(Segments(), segments);
  std::string error;
  ASSERT_TRUE(db_->GetProperty("cairn.background-error", &error));
  EXPECT_NE(error.find("Corruption"), std::string::npos) << "background error: '" << error << "'";
  Status write = db_->Put(WriteOptions(), "after", "x");
  EXPECT_TRUE(write.IsReadOnly()) << "a write after a compaction found corruption: "
                                  << write.ToString();
  // Reads of undamaged data keep working.
  std::string value;
  ASSERT_OK(db_->Get(ReadOptions(), Key(0), &value));
  EXPECT_EQ(value, Value(0, 2));
  ASSERT_OK(db_->Get(ReadOptions(), Key(399), &value));
  EXPECT_EQ(value, Value(399, 1));
  // The damage is still reported after a reopen, and nothing was lost around it.
  ASSERT_OK(Open());
  EXPECT_EQ(Segments(), segments);
  const int first = std::stoi(layout.first_user_key[k].substr(3));
  for (int i = 0; i < 400; i++) {
    Status got = db_->Get(ReadOptions(), Key(i), &value);
    if (got.ok()) {
      EXPECT_EQ(value, Value(i, i % 2 == 0 ? 2 : 1));
    } else {
      EXPECT_TRUE(got.IsCorruption()) << got.ToString();
      EXPECT_TRUE(i % 2 == 1 && i >= first) << Key(i) << ": " << got.ToString();
    }
  }
}

// --- Metadata at open ---------------------------------------------------------------------

TEST_F(DBCorruptionTest, SegmentListedByTheManifestButMissingIsCorruptionAndChangesNothing) {
  ASSERT_OK(Open());
  Fill(0, 100, 1);
  ASSERT_OK(db_->Flush());
  Fill(100, 200, 1);
  ASSERT_OK(db_->Flush());
  Fill(200, 210, 1);  // and some records only in the WAL
  db_.reset();
  const std::vector<std::string> segments = Segments();
  ASSERT_EQ(segments.size(), 2u);
  for (const std::string& missing : segments) {
    SCOPED_TRACE(missing);
    const std::string contents = env_.ReadFileContents(Path(missing)).value();
    ASSERT_OK(env_.RemoveFile(Path(missing)));
    ASSERT_OK(env_.SyncDir(kDir));
    ASSERT_NO_FATAL_FAILURE(ExpectOpenRefused({missing, "missing"}));
    ASSERT_OK(env_.SetFileContentsDurably(Path(missing), contents));
  }
  ASSERT_OK(Open());
  std::string value;
  ASSERT_OK(db_->Get(ReadOptions(), Key(205), &value));
  EXPECT_EQ(value, Value(205, 1));
}

TEST_F(DBCorruptionTest, TruncatedSegmentIsCorruptionAtOpenNamingIt) {
  ASSERT_OK(Open());
  Fill(0, 200, 1);
  ASSERT_OK(db_->Flush());
  db_.reset();
  const std::string name = Segments().front();
  const std::string contents = env_.ReadFileContents(Path(name)).value();
  for (uint64_t size :
       {contents.size() - 1, contents.size() - kFooterBytes, contents.size() / 2, uint64_t{0}}) {
    SCOPED_TRACE("truncated to " + std::to_string(size) + " of " + std::to_string(contents.size()) +
                 " bytes");
    ASSERT_OK(env_.TruncateFile(Path(name), size));
    ASSERT_NO_FATAL_FAILURE(ExpectOpenRefused({name}));
    ASSERT_OK(env_.SetFileContentsDurably(Path(name), contents));
  }
  ASSERT_OK(Open());
}

TEST_F(DBCorruptionTest, MissingCurrentWhileIdentityExistsIsCorruptionNeverANewDatabase) {
  for (bool with_segments : {false, true}) {
    SCOPED_TRACE(with_segments ? "with segments" : "with WAL files only");
    const std::string dir = with_segments ? "/db-segments" : "/db-wal";
    std::unique_ptr<DB> db;
    ASSERT_OK(DB::Open(options_, dir, &db));
    ASSERT_OK(db->Put(WriteOptions(), "k", "v"));
    if (with_segments) ASSERT_OK(db->Flush());
    db.reset();
    ASSERT_OK(env_.RemoveFile(JoinPath(dir, "CURRENT")));
    ASSERT_OK(env_.SyncDir(dir));
    std::map<std::string, std::string> before;
    for (const std::string& name : env_.GetChildren(dir).value()) {
      if (name != "LOG" && name != "LOG.old") {
        before[name] = env_.ReadFileContents(JoinPath(dir, name)).value();
      }
    }
    Status s = DB::Open(options_, dir, &db);
    ASSERT_TRUE(s.IsCorruption()) << s.ToString();
    EXPECT_NE(s.message().find("CURRENT"), std::string::npos) << s.ToString();
    std::map<std::string, std::string> after;
    for (const std::string& name : env_.GetChildren(dir).value()) {
      if (name != "LOG" && name != "LOG.old") {
        after[name] = env_.ReadFileContents(JoinPath(dir, name)).value();
      }
    }
    EXPECT_TRUE(before == after) << "a refused open changed the directory";
  }
}

TEST_F(DBCorruptionTest, AnyFlippedByteInCurrentIsCorruption) {
  ASSERT_OK(Open());
  Fill(0, 50, 1);
  ASSERT_OK(db_->Flush());
  db_.reset();
  const std::string current = Path("CURRENT");
  const std::string contents = env_.ReadFileContents(current).value();
  ASSERT_GT(contents.size(), 20u);
  for (size_t offset = 0; offset < contents.size(); offset++) {
    for (uint8_t mask : {uint8_t{0x01}, uint8_t{0x80}}) {
      SCOPED_TRACE("byte " + std::to_string(offset) + " xor " + std::to_string(mask));
      ASSERT_OK(env_.CorruptByte(current, offset, mask));
      ASSERT_NO_FATAL_FAILURE(ExpectOpenRefused({"CURRENT"}));
      ASSERT_OK(env_.CorruptByte(current, offset, mask));  // restores it
    }
  }
  ASSERT_OK(Open());
  std::string value;
  ASSERT_OK(db_->Get(ReadOptions(), Key(7), &value));
}

TEST_F(DBCorruptionTest, FlippedByteInASyncedManifestRecordIsCorruption) {
  ASSERT_OK(Open());
  for (int round = 0; round < 3; round++) {
    Fill(round * 100, round * 100 + 100, 1);
    ASSERT_OK(db_->Flush());
  }
  db_.reset();
  uint64_t number = 0;
  ASSERT_OK(manifest::ReadCurrent(&env_, kDir, &number));
  const std::string name = ManifestFileName(number);
  record::DbId db_id{};
  ASSERT_OK(ReadIdentity(&env_, kDir, &db_id));
  std::vector<uint64_t> records;
  manifest::ManifestReadReport report;
  ASSERT_OK(manifest::ReadManifest(
      &env_, kDir, name, db_id, manifest::ManifestReadMode::kVerifyOnly,
      [&](const manifest::VersionEdit&, uint64_t offset) {
        records.push_back(offset);
        return Status::OK();
      },
      &report));
  ASSERT_GE(records.size(), 4u) << "a snapshot, WAL switches and flushes";
  records.push_back(report.valid_end_offset);
  // Every record but the last is followed by one that states it was synced. Flip bytes in
  // its header (CRC, length, type, index, synced offset) and its payload.
  std::vector<uint64_t> targets = {0, 9, 20, 40, 55};  // the file header
  for (size_t r = 0; r + 2 < records.size(); r++) {
    const uint64_t begin = records[r];
    const uint64_t length = records[r + 1] - begin;
    for (uint64_t at : {uint64_t{0}, uint64_t{5}, uint64_t{8}, uint64_t{16}, uint64_t{24},
                        uint64_t{40}, length / 2 + 20, length - 1}) {
      if (at < length) targets.push_back(begin + at);
    }
  }
  for (uint64_t offset : targets) {
    SCOPED_TRACE(name + " byte " + std::to_string(offset));
    ASSERT_OK(env_.CorruptByte(Path(name), offset, 0x04));
    ASSERT_NO_FATAL_FAILURE(ExpectOpenRefused({name}));
    ASSERT_OK(env_.CorruptByte(Path(name), offset, 0x04));
  }
  ASSERT_OK(Open());
  std::string value;
  ASSERT_OK(db_->Get(ReadOptions(), Key(250), &value));
}

// --- Every block kind of a segment -----------------------------------------------------

TEST_F(DBCorruptionTest, BitFlipInEverySegmentBlockKindIsCorruptionNeverACrash) {
  ASSERT_OK(Open());
  Fill(0, 200, 1);
  for (int i = 0; i < 200; i += 10) {
    ASSERT_OK(db_->Delete(WriteOptions(), Key(i)));
  }
  ASSERT_OK(db_->Flush());
  db_.reset();
  const std::string name = Segments().front();
  const std::string path = Path(name);
  const std::string original = env_.ReadFileContents(path).value();
  const SegmentLayout layout = ParseLayout(original);
  ASSERT_GT(layout.filter.size, 0u);
  struct Region {
    const char* kind;
    uint64_t begin, end;
    size_t stride;
    bool at_open;  // whether Open itself must refuse
  };
  const std::vector<Region> regions = {
      {"data", 0, layout.data.back().end(), Stride(23), false},
      {"filter", layout.filter.offset, layout.filter.end(), Stride(3), true},
      {"index", layout.index.offset, layout.index.end(), Stride(3), true},
      {"properties", layout.properties.offset, layout.properties.end(), Stride(1), true},
      {"footer", layout.footer_offset, original.size(), Stride(1), true},
  };
  int cases = 0;
  for (const Region& region : regions) {
    ASSERT_LT(region.begin, region.end);
    for (uint64_t offset = region.begin; offset < region.end; offset += region.stride) {
      const uint8_t mask = static_cast<uint8_t>(1u << (offset % 8));
      SCOPED_TRACE(std::string(region.kind) + " block: byte " + std::to_string(offset) + " xor " +
                   std::to_string(mask));
      std::string flipped = original;
      flipped[offset] = static_cast<char>(flipped[offset] ^ mask);
      ASSERT_OK(env_.SetFileContentsDurably(path, flipped));
      cases++;
      Status opened = Open();
      if (region.at_open) {
        ASSERT_TRUE(opened.IsCorruption()) << opened.ToString();
        EXPECT_NE(opened.message().find(name), std::string::npos) << opened.ToString();
        continue;
      }
      ASSERT_OK(opened);
      // A full scan reads every data block: it must stop with the error, after showing only
      // true data.
      std::unique_ptr<Iterator> it = db_->NewIterator(ReadOptions());
      int i = 0;
      for (it->SeekToFirst(); it->Valid(); it->Next(), i++) {
        if (i % 10 == 0) i++;  // deleted
        ASSERT_EQ(it->key(), Key(i));
        ASSERT_TRUE(it->value() == Value(i, 1));
      }
      EXPECT_TRUE(it->status().IsCorruption())
          << "scan ended at " << i << " with " << it->status().ToString();
      EXPECT_NE(it->status().message().find(name), std::string::npos);
      it.reset();
      db_.reset();
    }
  }
  ASSERT_OK(env_.SetFileContentsDurably(path, original));
  ASSERT_OK(Open());
  std::printf(
      "[ flips    ] %d single-bit flips across data, filter, index, properties and "
      "footer\n",
      cases);
}

}  // namespace
}  // namespace cairn
