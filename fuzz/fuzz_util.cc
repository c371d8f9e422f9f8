#include "fuzz_util.h"

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "cairn/iterator.h"
#include "cairn/options.h"
#include "deterministic_env.h"
#include "manifest/current_file.h"
#include "record/record_codec.h"
#include "record/record_format.h"
#include "segment/block.h"
#include "segment/segment_format.h"
#include "util/coding.h"
#include "util/crc32c.h"
#include "util/filename.h"

namespace cairn::fuzz {

void InvariantFailed(const char* file, int line, const std::string& what) {
  std::fprintf(stderr, "FUZZ INVARIANT FAILED at %s:%d: %s\n", file, line, what.c_str());
  std::fflush(stderr);
  std::abort();
}

void Trace(const std::string& what) {
  static const bool verbose = std::getenv("CAIRN_FUZZ_VERBOSE") != nullptr;
  if (verbose) {
    std::fprintf(stderr, "trace: %s\n", what.c_str());
  }
}

bool SkipKnownBugs() {
  static const bool skip = std::getenv("CAIRN_FUZZ_SKIP_KNOWN_BUGS") != nullptr;
  return skip;
}

FlaggedInput SplitFlags(const uint8_t* data, size_t size) {
  FlaggedInput input;
  if (size == 0) {
    return input;
  }
  input.flags = data[0];
  input.payload = std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1);
  return input;
}

void FixRecordChecksums(std::string* file) {
  if (file->size() < record::kFileHeaderSize) {
    return;
  }
  char* p = file->data();
  EncodeFixed32(p + record::kFileHeaderCrcOffset,
                crc32c::Mask(crc32c::Value(p, record::kFileHeaderCrcOffset)));
  record::DbId db_id;
  std::copy(p + 32, p + 48, db_id.begin());
  const uint32_t seed = record::RecordChecksumSeed(db_id, DecodeFixed64(p + 16));
  uint64_t offset = record::kFileHeaderSize;
  while (file->size() - offset >= record::kRecordHeaderSize) {
    char* record = p + offset;
    const uint64_t payload_length = DecodeFixed32(record + 4);
    if (payload_length > file->size() - offset - record::kRecordHeaderSize) {
      return;
    }
    // The checksum as record/record_codec.cc computes it: seed, offset, header bytes [4, 40),
    // payload.
    char offset_bytes[8];
    EncodeFixed64(offset_bytes, offset);
    uint32_t crc = crc32c::Extend(seed, offset_bytes, sizeof(offset_bytes));
    crc = crc32c::Extend(crc, record + 4, record::kRecordHeaderSize - 4);
    crc = crc32c::Extend(crc, record + record::kRecordHeaderSize, payload_length);
    EncodeFixed32(record, crc32c::Mask(crc));
    offset += record::kRecordHeaderSize + payload_length;
  }
}

void AdoptRecordFile(std::string* file, uint64_t number, std::string_view db_id) {
  if (file->size() < record::kFileHeaderSize || db_id.size() != sizeof(record::DbId)) {
    return;
  }
  EncodeFixed64(file->data() + 16, number);
  const std::string old_id = file->substr(32, sizeof(record::DbId));
  for (size_t at = file->find(old_id); at != std::string::npos;
       at = file->find(old_id, at + old_id.size())) {
    file->replace(at, old_id.size(), db_id);
  }
}

namespace {

// Rewrites the trailer CRC of the block at `handle` if it lies inside [0, limit). Returns
// whether it did.
bool FixBlockTrailer(std::string* file, const segment::BlockHandle& handle, uint64_t limit) {
  if (!handle.EndsAtOrBefore(limit)) {
    return false;
  }
  char* stored = file->data() + handle.offset;
  // The CRC covers the stored bytes followed by the type byte (block_reader.cc).
  uint32_t crc = crc32c::Value(stored, handle.size_bytes + 1);
  EncodeFixed32(stored + handle.size_bytes + 1, crc32c::Mask(crc));
  return true;
}

// Walks an uncompressed index block and fixes the trailer of every data block it names.
void FixDataBlocks(std::string* file, const segment::BlockHandle& index, uint64_t limit) {
  const char* stored = file->data() + index.offset;
  if (static_cast<uint8_t>(stored[index.size_bytes]) != 0) {
    return;  // a compressed index is not followed (the writer never produces one)
  }
  segment::OwnedBytes bytes = segment::AllocateBytes(index.size_bytes);
  std::copy(stored, stored + index.size_bytes, bytes.data.get());
  auto block = segment::Block::Parse(std::move(bytes));
  if (!block.ok()) {
    return;
  }
  segment::BlockIter it(block.value().get());
  for (it.SeekToFirst(); it.Valid(); it.Next()) {
    std::string_view value = it.value();
    segment::BlockHandle handle;
    if (segment::DecodeBlockHandle(&value, &handle)) {
      FixBlockTrailer(file, handle, limit);
    }
  }
}

}  // namespace

void FixSegmentChecksums(std::string* file) {
  if (file->size() < segment::kFooterSize) {
    return;
  }
  const uint64_t footer_offset = file->size() - segment::kFooterSize;
  char* footer = file->data() + footer_offset;
  if (DecodeFixed32(footer + 48) != segment::kFooterSize) {
    return;
  }
  EncodeFixed32(footer + segment::kFooterCrcOffset,
                crc32c::Mask(crc32c::Value(footer, segment::kFooterCrcOffset)));
  segment::BlockHandle index{DecodeFixed64(footer), DecodeFixed64(footer + 8)};
  segment::BlockHandle filter{DecodeFixed64(footer + 16), DecodeFixed64(footer + 24)};
  segment::BlockHandle properties{DecodeFixed64(footer + 32), DecodeFixed64(footer + 40)};
  if (!filter.empty()) {
    FixBlockTrailer(file, filter, footer_offset);
  }
  FixBlockTrailer(file, properties, footer_offset);
  if (FixBlockTrailer(file, index, footer_offset)) {
    FixDataBlocks(file, index, footer_offset);
  }
}

namespace {

void CheckOk(const Status& s, const char* what) {
  FUZZ_CHECK(s.ok(), std::string("template database: ") + what + ": " + s.ToString());
}

void WriteTemplateData(DB* db) {
  for (int i = 0; i < 16; i++) {
    CheckOk(db->Put(WriteOptions(), "key" + std::to_string(i * 5 % 16), std::string(i + 1, 'v')),
            "put");
  }
  CheckOk(db->Delete(WriteOptions(), "key3"), "delete");
  CheckOk(db->Flush(), "flush");
  CheckOk(db->Put(WriteOptions(), "key3", "again"), "put");
  CheckOk(db->Flush(), "flush");
  CheckOk(db->CompactRange(nullptr, nullptr), "compact");
  CheckOk(db->Put(WriteOptions(), "key9", "in the WAL"), "put");
  CheckOk(db->Put(WriteOptions(), "zzz", "in the WAL"), "put");
}

DbTemplate MakeDbTemplate(DbTemplateKind kind) {
  DeterministicEnv denv;
  MemEnv& env = *denv.mem();
  Options options;
  options.env = &denv;
  options.wal_preallocate_bytes = kFuzzWalPreallocateBytes;
  options.block_size_bytes = 256;  // several blocks per segment
  std::unique_ptr<DB> db;
  CheckOk(DB::Open(options, kFuzzDbDir, &db), "open");
  if (kind == DbTemplateKind::kWithSegments) {
    WriteTemplateData(db.get());
  }
  db.reset();
  DbTemplate t;
  auto children = env.GetChildren(kFuzzDbDir);
  FUZZ_CHECK(children.ok(), "listing the template database");
  for (const std::string& name : children.value()) {
    if (name == kLockFileName || name == kInfoLogFileName || name == kInfoLogOldFileName) {
      continue;  // not part of the database's state
    }
    auto contents = env.ReadFileContents(std::string(kFuzzDbDir) + "/" + name);
    FUZZ_CHECK(contents.ok(), "reading template file " + name);
    FileType type;
    uint64_t number = 0;
    if (ParseFileName(name, &type, &number) && type == FileType::kWal && number > t.wal_number) {
      t.wal_name = name;
      t.wal_number = number;
      t.db_id = contents.value().substr(32, 16);
    }
    t.files[name] = std::move(contents).value();
  }
  FUZZ_CHECK(!t.wal_name.empty(), "the template database has no WAL file");
  CheckOk(manifest::DecodeCurrent(t.files[std::string(kCurrentFileName)], &t.manifest_number),
          "CURRENT");
  t.manifest_name = ManifestFileName(t.manifest_number);
  FUZZ_CHECK(t.files.count(t.manifest_name) == 1, "the template's manifest is missing");
  return t;
}

}  // namespace

const DbTemplate& GetDbTemplate(DbTemplateKind kind) {
  static const DbTemplate* empty = new DbTemplate(MakeDbTemplate(DbTemplateKind::kEmpty));
  if (kind == DbTemplateKind::kEmpty) {
    return *empty;
  }
  static const DbTemplate* with_segments =
      new DbTemplate(MakeDbTemplate(DbTemplateKind::kWithSegments));
  return *with_segments;
}

std::unique_ptr<MemEnv> NewEnvWithFiles(const std::map<std::string, std::string>& files) {
  auto env = std::make_unique<MemEnv>();
  for (const auto& [name, contents] : files) {
    Status s = env->SetFileContentsDurably(std::string(kFuzzDbDir) + "/" + name, contents);
    FUZZ_CHECK(s.ok(), "writing " + name + " into a MemEnv: " + s.ToString());
  }
  return env;
}

std::string Printable(std::string_view bytes) {
  std::string out;
  for (unsigned char c : bytes) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[5];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}

std::map<std::string, std::string> ReadAllChecked(DB* db, Status* status, bool forged_segments) {
  std::map<std::string, std::string> contents;
  *status = Status::OK();
  std::unique_ptr<Iterator> it = db->NewIterator(ReadOptions());
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string key(it->key());
    FUZZ_CHECK(forged_segments || contents.empty() || contents.rbegin()->first < key,
               "iterator keys are not strictly increasing");
    contents[std::move(key)] = std::string(it->value());
  }
  if (!it->status().ok()) {
    *status = it->status();
    return contents;
  }
  for (const auto& [key, value] : contents) {
    if (forged_segments) {
      break;
    }
    std::string got;
    Status s = db->Get(ReadOptions(), key, &got);
    if (!s.ok() && !s.IsNotFound()) {
      *status = s;
      return contents;
    }
    FUZZ_CHECK(s.ok(), "Get misses a key the iterator returned: '" + Printable(key) + "'");
    FUZZ_CHECK(got == value,
               "Get and the iterator disagree on the value of '" + Printable(key) + "'");
  }
  return contents;
}

}  // namespace cairn::fuzz
