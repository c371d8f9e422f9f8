#include "memtable/memtable.h"

#include <algorithm>
#include <cstring>
#include <memory>

#include "util/coding.h"

namespace cairn {
namespace {

// Entries were encoded by Add() in this process, so they are trusted. The varint is read
// byte by byte up to its last byte, never past the entry.
std::string_view DecodeLengthPrefixed(const char* p, const char** next) {
  uint32_t length = 0;
  for (uint32_t shift = 0;; shift += 7) {
    auto byte = static_cast<unsigned char>(*p++);
    length |= static_cast<uint32_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      break;
    }
    assert(shift < 28);
  }
  *next = p + length;
  return std::string_view(p, length);
}

std::string_view EntryKey(const char* entry) {
  const char* next = nullptr;
  return DecodeLengthPrefixed(entry, &next);
}

std::string_view EntryValue(const char* entry) {
  const char* after_key = nullptr;
  DecodeLengthPrefixed(entry, &after_key);
  const char* next = nullptr;
  return DecodeLengthPrefixed(after_key, &next);
}

}  // namespace

int MemTable::EntryComparator::operator()(const char* a, const char* b) const {
  return CompareInternalKeys(EntryKey(a), EntryKey(b));
}

MemTable::MemTable() : table_(EntryComparator(), &arena_) {}

void MemTable::Add(uint64_t sequence, ValueKind kind, std::string_view key,
                   std::string_view value) {
  size_t internal_key_size = key.size() + kTrailerSize;
  size_t bytes = static_cast<size_t>(VarintLength(internal_key_size)) + internal_key_size +
                 static_cast<size_t>(VarintLength(value.size())) + value.size();
  Table::InlineNode node = table_.AllocateInline(bytes);
  char* entry = node.storage();
  char* p = EncodeVarint32(entry, static_cast<uint32_t>(internal_key_size));
  std::memcpy(p, key.data(), key.size());
  p += key.size();
  EncodeFixed64(p, PackTrailer(sequence, kind));
  p += kTrailerSize;
  p = EncodeVarint32(p, static_cast<uint32_t>(value.size()));
  if (!value.empty()) {
    std::memcpy(p, value.data(), value.size());
  }
  assert(p + value.size() == entry + bytes);
  table_.Insert(node);
  entry_count_.fetch_add(1, std::memory_order_relaxed);
}

MemTable::Lookup MemTable::Get(std::string_view key, uint64_t sequence, std::string* value) const {
  // Seek to (key, sequence): the first entry at or after it is the newest visible version of
  // key, if that entry is for key at all.
  if (entry_count() == 0) {
    return Lookup::kNotPresent;  // the common case after a flush: skip building the key
  }
  // The seek entry is varint32(length) + user key + trailer; built on the stack for keys up
  // to kInlineKeyBytes (every Get would otherwise pay two heap allocations).
  constexpr size_t kInlineKeyBytes = 256;
  const size_t internal_size = key.size() + kTrailerSize;
  char inline_buffer[5 + kInlineKeyBytes + kTrailerSize];
  std::unique_ptr<char[]> heap_buffer;
  char* seek_entry = inline_buffer;
  if (key.size() > kInlineKeyBytes) {
    heap_buffer = std::make_unique<char[]>(5 + internal_size);
    seek_entry = heap_buffer.get();
  }
  char* p = EncodeVarint32(seek_entry, static_cast<uint32_t>(internal_size));
  std::memcpy(p, key.data(), key.size());
  EncodeFixed64(p + key.size(),
                PackTrailer(std::min(sequence, kMaxSequenceNumber), kValueKindForSeek));
  Table::Iterator it(&table_);
  it.Seek(seek_entry);
  if (!it.Valid()) {
    return Lookup::kNotPresent;
  }
  std::string_view found = EntryKey(it.key());
  if (ExtractUserKey(found) != key) {
    return Lookup::kNotPresent;
  }
  if (ExtractKind(found) == ValueKind::kDelete) {
    return Lookup::kDeleted;
  }
  std::string_view v = EntryValue(it.key());
  value->assign(v.data(), v.size());
  return Lookup::kFound;
}

class MemTableIterator final : public InternalIterator {
 public:
  explicit MemTableIterator(const MemTable::Table* table) : it_(table) {}

  bool Valid() const override { return it_.Valid(); }
  void SeekToFirst() override { it_.SeekToFirst(); }
  void SeekToLast() override { it_.SeekToLast(); }
  void Seek(std::string_view internal_key) override {
    seek_buffer_.clear();
    PutVarint32(&seek_buffer_, static_cast<uint32_t>(internal_key.size()));
    seek_buffer_.append(internal_key.data(), internal_key.size());
    it_.Seek(seek_buffer_.data());
  }
  void Next() override { it_.Next(); }
  void Prev() override { it_.Prev(); }
  std::string_view key() const override { return EntryKey(it_.key()); }
  std::string_view value() const override { return EntryValue(it_.key()); }
  Status status() const override { return Status::OK(); }

 private:
  MemTable::Table::Iterator it_;
  std::string seek_buffer_;
};

std::unique_ptr<InternalIterator> MemTable::NewIterator() const {
  return std::make_unique<MemTableIterator>(&table_);
}

}  // namespace cairn
