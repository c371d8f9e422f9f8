// Proves that VersionEdit (and the SegmentMeta inside it) round-trips every field exactly,
// and that its decoder survives any input: every truncation, every flipped bit, random
// bytes, random well-framed fields, lengths and counts past their limits, unknown and
// repeated tags, and encodings that break an invariant all end in OK or Corruption -- never
// a crash, an assertion, or an allocation driven by an unchecked length. Inputs are built
// by the encoder and then damaged, or assembled field by field with util/coding.
#include "manifest/version_edit.h"

#include <gtest/gtest.h>

#include <random>

#include "manifest/manifest_format.h"
#include "manifest/manifest_testutil.h"
#include "testutil.h"
#include "util/coding.h"

namespace cairn::manifest {
namespace {

using test::MakeSegment;

VersionEdit FullSnapshot() {
  VersionEdit edit;
  edit.db_id = test::TestDbId();
  edit.log_number = 7;
  edit.next_file_number = 1000;
  edit.last_sequence = 123456789;
  edit.last_commit_micros = 1'795'000'000'123'456;
  edit.added_wals = {7, 9, 11};
  for (uint64_t n : {12, 13, 40, 41, 99}) {
    edit.added_segments.push_back(MakeSegment(n, static_cast<uint32_t>(n % 4)));
  }
  // A user key with bytes outside printable ASCII, and a maximal key.
  edit.added_segments[0].smallest = test::IKey(std::string("\0\xff\n'", 4), 120, ValueKind::kPut);
  edit.added_segments[4].largest = test::IKey(std::string(kMaxKeySizeBytes, 'z'), 995);
  return edit;
}

VersionEdit FullDelta() {
  VersionEdit edit;
  edit.log_number = 9;
  edit.next_file_number = 1001;
  edit.last_sequence = 123456999;
  edit.last_commit_micros = 1'795'000'000'999'999;
  edit.added_wals = {1000};
  edit.added_segments = {MakeSegment(500, 1), MakeSegment(501, 1)};
  edit.deleted_segments = {{0, 12}, {0, 13}, {1, 40}};
  return edit;
}

std::string Encode(const VersionEdit& edit) {
  std::string out;
  edit.EncodeTo(&out);
  return out;
}

// One raw field: tag, length, body.
void PutRawField(std::string* out, uint32_t tag, std::string_view body) {
  PutVarint32(out, tag);
  PutLengthPrefixed(out, body);
}

std::string U64Body(uint64_t value) {
  std::string body;
  PutVarint64(&body, value);
  return body;
}

// The format written out by hand, field by field, with no invariant checks, so tests can
// produce the bytes of a broken edit (EncodeTo asserts). Also pins the tag numbers: it must
// equal EncodeTo's output for a valid edit.
std::string EncodeUnchecked(const VersionEdit& edit) {
  std::string bytes;
  if (edit.db_id) {
    PutRawField(
        &bytes, 1,
        std::string_view(reinterpret_cast<const char*>(edit.db_id->data()), edit.db_id->size()));
  }
  if (edit.log_number) PutRawField(&bytes, 2, U64Body(*edit.log_number));
  if (edit.next_file_number) PutRawField(&bytes, 3, U64Body(*edit.next_file_number));
  if (edit.last_sequence) PutRawField(&bytes, 4, U64Body(*edit.last_sequence));
  if (edit.last_commit_micros) PutRawField(&bytes, 5, U64Body(*edit.last_commit_micros));
  for (uint64_t w : edit.added_wals) PutRawField(&bytes, 6, U64Body(w));
  for (const SegmentMeta& m : edit.added_segments) {
    std::string body;
    PutVarint32(&body, m.level);
    PutVarint64(&body, m.number);
    PutVarint64(&body, m.file_size_bytes);
    PutLengthPrefixed(&body, m.smallest);
    PutLengthPrefixed(&body, m.largest);
    for (uint64_t v : {m.min_seq, m.max_seq, m.min_commit_micros, m.max_commit_micros,
                       m.entry_count, m.deletion_count}) {
      PutVarint64(&body, v);
    }
    PutRawField(&bytes, 7, body);
  }
  for (const DeletedSegment& d : edit.deleted_segments) {
    std::string body;
    PutVarint32(&body, d.level);
    PutVarint64(&body, d.number);
    PutRawField(&bytes, 8, body);
  }
  return bytes;
}

// Decodes `input`; the outcome must be OK or Corruption, and an OK edit must satisfy its
// invariants and re-encode (EncodeTo asserts Check() in debug builds).
void ExpectDecodesCleanly(std::string_view input) {
  VersionEdit edit;
  Status s = edit.DecodeFrom(input);
  ASSERT_TRUE(s.ok() || s.IsCorruption()) << s.ToString();
  if (s.ok()) {
    ASSERT_OK(edit.Check());
    std::string again;
    edit.EncodeTo(&again);
  }
}

TEST(VersionEdit, SnapshotRoundTripsEveryField) {
  VersionEdit edit = FullSnapshot();
  ASSERT_OK(edit.Check());
  // The layout and tag numbers are frozen: the encoder matches the hand-written format.
  EXPECT_EQ(Encode(edit), EncodeUnchecked(edit));
  EXPECT_EQ(Encode(FullDelta()), EncodeUnchecked(FullDelta()));
  VersionEdit decoded;
  ASSERT_OK(decoded.DecodeFrom(Encode(edit)));
  EXPECT_EQ(decoded, edit);
  EXPECT_TRUE(decoded.is_snapshot());
  EXPECT_EQ(Encode(decoded), Encode(edit));
}

TEST(VersionEdit, DeltaAndEmptyEditRoundTrip) {
  for (const VersionEdit& edit : {FullDelta(), VersionEdit()}) {
    VersionEdit decoded;
    ASSERT_OK(decoded.DecodeFrom(Encode(edit)));
    EXPECT_EQ(decoded, edit);
    EXPECT_FALSE(decoded.is_snapshot());
  }
  EXPECT_EQ(Encode(VersionEdit()), "");
}

TEST(VersionEdit, DebugStringShowsEveryField) {
  std::string text = FullSnapshot().DebugString();
  for (const char* part :
       {"snapshot db_id=101112131415161718191a1b1c1d1e1f", "log_number=7", "next_file_number=1000",
        "last_sequence=123456789", "last_commit_micros=1795000000123456", "add_wal 9",
        "add_segment #12 L0", "'\\x00\\xff\\x0a\\x27'@120:put", "#99 L3"}) {
    EXPECT_NE(text.find(part), std::string::npos) << part << "\n" << text;
  }
  text = FullDelta().DebugString();
  EXPECT_NE(text.find("delta"), std::string::npos) << text;
  EXPECT_NE(text.find("delete_segment #40 L1"), std::string::npos) << text;
}

TEST(VersionEdit, EveryTruncationDecodesCleanly) {
  for (const VersionEdit& edit : {FullSnapshot(), FullDelta()}) {
    std::string bytes = Encode(edit);
    size_t corrupt = 0;
    for (size_t n = 0; n < bytes.size(); n++) {
      VersionEdit decoded;
      Status s = decoded.DecodeFrom(std::string_view(bytes).substr(0, n));
      ASSERT_TRUE(s.ok() || s.IsCorruption()) << n << ": " << s.ToString();
      corrupt += s.IsCorruption() ? 1 : 0;
      // A prefix that ends on a field boundary is a shorter valid edit (the record CRC and
      // length catch a truncated record); it must never equal the whole edit.
      if (s.ok()) {
        EXPECT_NE(decoded, edit) << n;
      }
    }
    EXPECT_GT(corrupt, bytes.size() / 2);
  }
}

TEST(VersionEdit, EveryBitFlipDecodesCleanly) {
  VersionEdit snapshot = FullSnapshot();
  snapshot.added_segments[4].largest = test::IKey("zz", 995);  // keep the input small
  for (const VersionEdit& edit : {snapshot, FullDelta()}) {
    std::string bytes = Encode(edit);
    for (size_t i = 0; i < bytes.size(); i++) {
      for (int bit = 0; bit < 8; bit++) {
        std::string damaged = bytes;
        damaged[i] = static_cast<char>(damaged[i] ^ (1 << bit));
        ExpectDecodesCleanly(damaged);
      }
    }
  }
}

TEST(VersionEdit, RandomInputDecodesCleanly) {
  const uint64_t seed = cairn::test::TestSeed();
  SCOPED_TRACE("CAIRN_TEST_SEED=" + std::to_string(seed));
  std::mt19937_64 rng(seed);
  for (int i = 0; i < 20000; i++) {
    std::string bytes(rng() % 64, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    ExpectDecodesCleanly(bytes);
  }
  // Well-framed fields with known tags and random bodies reach deeper into the decoder.
  for (int i = 0; i < 20000; i++) {
    std::string bytes;
    int fields = static_cast<int>(rng() % 6);
    for (int f = 0; f < fields; f++) {
      std::string body(rng() % 40, '\0');
      for (char& c : body) c = static_cast<char>(rng() % 4 == 0 ? rng() % 3 : rng());
      PutRawField(&bytes, static_cast<uint32_t>(1 + rng() % 9), body);
    }
    ExpectDecodesCleanly(bytes);
  }
}

TEST(VersionEdit, HugeLengthsAreCorruptionBeforeAllocation) {
  // A field length far past the input.
  std::string bytes;
  PutVarint32(&bytes, static_cast<uint32_t>(EditTag::kAddedSegment));
  PutVarint32(&bytes, 0xffffffffu);
  bytes.append(16, 'x');
  VersionEdit edit;
  EXPECT_TRUE(edit.DecodeFrom(bytes).IsCorruption());

  // A key length past the field body, and one within it but past the key limit.
  std::string body;
  PutVarint32(&body, 0);
  PutVarint64(&body, 5);
  PutVarint64(&body, 4096);
  PutVarint32(&body, 0x7fffffffu);
  bytes.clear();
  PutRawField(&bytes, static_cast<uint32_t>(EditTag::kAddedSegment), body);
  Status s = edit.DecodeFrom(bytes);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();

  body.resize(body.size() - VarintLength(0x7fffffffu));
  PutLengthPrefixed(&body, std::string(kMaxInternalKeyBytes + 1, 'k'));
  bytes.clear();
  PutRawField(&bytes, static_cast<uint32_t>(EditTag::kAddedSegment), body);
  s = edit.DecodeFrom(bytes);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find("outside"), std::string::npos) << s.ToString();
}

TEST(VersionEdit, ListCountsAreBounded) {
  std::string bytes;
  for (uint64_t n = 1; n <= kMaxWalsPerEdit + 1; n++) {
    PutRawField(&bytes, static_cast<uint32_t>(EditTag::kAddedWal), U64Body(n));
  }
  VersionEdit edit;
  Status s = edit.DecodeFrom(bytes);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find("too many WAL files"), std::string::npos) << s.ToString();
}

TEST(VersionEdit, UnknownTagIsCorruptionUnlessMarkedSafeToIgnore) {
  std::string base = Encode(FullDelta());
  std::string unknown = base;
  PutRawField(&unknown, 9, "abc");
  VersionEdit edit;
  Status s = edit.DecodeFrom(unknown);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find("unknown tag"), std::string::npos) << s.ToString();

  std::string ignorable = base;
  PutRawField(&ignorable, kSafeToIgnoreTagBit | 9, "a newer writer's hint");
  ASSERT_OK(edit.DecodeFrom(ignorable));
  EXPECT_EQ(edit, FullDelta());
}

TEST(VersionEdit, RepeatedOrMalformedScalarIsCorruption) {
  std::string bytes = Encode(FullDelta());
  PutRawField(&bytes, static_cast<uint32_t>(EditTag::kLastSequence), U64Body(5));
  VersionEdit edit;
  EXPECT_TRUE(edit.DecodeFrom(bytes).IsCorruption());

  bytes.clear();
  PutRawField(&bytes, static_cast<uint32_t>(EditTag::kLogNumber), U64Body(5) + "x");
  EXPECT_TRUE(edit.DecodeFrom(bytes).IsCorruption());

  bytes.clear();
  PutRawField(&bytes, static_cast<uint32_t>(EditTag::kDbId), "short");
  EXPECT_TRUE(edit.DecodeFrom(bytes).IsCorruption());

  bytes.clear();  // a varint tag of 11 bytes
  bytes.assign(11, '\xff');
  EXPECT_TRUE(edit.DecodeFrom(bytes).IsCorruption());
}

// Each case breaks one invariant. Check() must report it (InvalidArgument: what an encoder
// would be refused), and the same bytes decoded from disk must be Corruption.
TEST(VersionEdit, BrokenInvariantsAreRefusedAndCorruptionWhenDecoded) {
  struct Case {
    const char* what;
    void (*breakit)(VersionEdit*);
  };
  const Case cases[] = {
      {"snapshot without log_number", [](VersionEdit* e) { e->log_number.reset(); }},
      {"snapshot deleting",
       [](VersionEdit* e) {
         e->deleted_segments.push_back({0, 5});
       }},
      {"segment number at next_file_number",
       [](VersionEdit* e) { e->added_segments.push_back(MakeSegment(1000)); }},
      {"WAL below log_number", [](VersionEdit* e) { e->added_wals.push_back(6); }},
      {"duplicate WAL", [](VersionEdit* e) { e->added_wals.push_back(9); }},
      {"duplicate segment", [](VersionEdit* e) { e->added_segments.push_back(MakeSegment(13)); }},
      {"WAL number reused by a segment",
       [](VersionEdit* e) { e->added_segments.push_back(MakeSegment(11)); }},
      {"segment number 0", [](VersionEdit* e) { e->added_segments[1].number = 0; }},
      {"level too high", [](VersionEdit* e) { e->added_segments[1].level = kMaxLevels; }},
      {"keys reversed",
       [](VersionEdit* e) {
         std::swap(e->added_segments[1].smallest, e->added_segments[1].largest);
       }},
      {"short key", [](VersionEdit* e) { e->added_segments[1].largest = "1234567"; }},
      {"seq reversed", [](VersionEdit* e) { e->added_segments[1].min_seq = 1u << 30; }},
      {"seq past last_sequence", [](VersionEdit* e) { e->last_sequence = 5; }},
      {"commit time past last_commit_micros", [](VersionEdit* e) { e->last_commit_micros = 1; }},
      {"deletions above entries",
       [](VersionEdit* e) { e->added_segments[1].deletion_count = 1u << 20; }},
      {"no entries", [](VersionEdit* e) { e->added_segments[1].entry_count = 0; }},
      {"empty file", [](VersionEdit* e) { e->added_segments[1].file_size_bytes = 0; }},
      {"last_sequence past 2^56",
       [](VersionEdit* e) { e->last_sequence = kMaxSequenceNumber + 1; }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    VersionEdit edit = FullSnapshot();
    c.breakit(&edit);
    Status checked = edit.Check();
    EXPECT_TRUE(checked.IsInvalidArgument()) << checked.ToString();
    std::string bytes = EncodeUnchecked(edit);
    VersionEdit decoded;
    Status s = decoded.DecodeFrom(bytes);
    EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  }
}

TEST(VersionEdit, SegmentMetaRoundTripsAlone) {
  SegmentMeta meta = MakeSegment(77, 5);
  std::string bytes;
  meta.EncodeTo(&bytes);
  SegmentMeta decoded;
  ASSERT_OK(decoded.DecodeFrom(bytes));
  EXPECT_EQ(decoded, meta);
  EXPECT_TRUE(decoded.DecodeFrom(bytes + "x").IsCorruption());
  EXPECT_EQ(InternalKeyDebugString("short"), "<bad key: short>");
}

}  // namespace
}  // namespace cairn::manifest

namespace cairn::manifest {
namespace {

// A trivial move (compaction relabelling a segment's level) deletes and adds one number at two
// levels; it must encode and decode. The same number at one level stays refused.
TEST(VersionEdit, MoveBetweenLevelsRoundTripsButSameLevelIsRefused) {
  VersionEdit edit;
  SegmentMeta meta;
  meta.number = 21;
  meta.level = 1;
  meta.file_size_bytes = 100;
  meta.smallest = std::string("a") + std::string(8, '\x01');
  meta.largest = std::string("b") + std::string(8, '\x01');
  meta.min_seq = meta.max_seq = 1;
  meta.entry_count = 1;
  edit.added_segments.push_back(meta);
  edit.deleted_segments.push_back({0, 21});
  ASSERT_TRUE(edit.Check().ok()) << edit.Check().ToString();
  std::string encoded;
  edit.EncodeTo(&encoded);
  VersionEdit decoded;
  ASSERT_TRUE(decoded.DecodeFrom(encoded).ok());
  EXPECT_EQ(decoded, edit);
  edit.deleted_segments[0].level = 1;
  EXPECT_TRUE(edit.Check().IsInvalidArgument());
}

}  // namespace
}  // namespace cairn::manifest
