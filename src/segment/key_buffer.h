// KeyBuffer: a growable byte buffer that keeps small contents inline, so the read path
// (block iterators, Get's search key) assembles keys without touching the heap. Keys longer
// than the inline capacity move to one heap allocation that is kept for reuse.
//
// Not copyable or movable: views into it stay valid while it is unchanged. One thread.
#ifndef CAIRN_SEGMENT_KEY_BUFFER_H_
#define CAIRN_SEGMENT_KEY_BUFFER_H_

#include <cassert>
#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>

namespace cairn::segment {

class KeyBuffer {
 public:
  KeyBuffer() = default;
  KeyBuffer(const KeyBuffer&) = delete;
  KeyBuffer& operator=(const KeyBuffer&) = delete;

  const char* data() const { return data_; }
  size_t size() const { return size_; }
  std::string_view view() const { return {data_, size_}; }

  void Clear() { size_ = 0; }

  // Keeps the first `n` bytes (n <= size()).
  void Truncate(size_t n) {
    assert(n <= size_);
    size_ = n;
  }

  // Replaces the contents. `bytes` must not point into this buffer.
  void Assign(const char* bytes, size_t n) {
    size_ = 0;
    Append(bytes, n);
  }

  // `bytes` must not point into this buffer.
  void Append(const char* bytes, size_t n) {
    if (size_ + n > capacity_) {
      Grow(size_ + n);
    }
    if (n > 0) {
      std::memcpy(data_ + size_, bytes, n);
    }
    size_ += n;
  }

  // Makes room for `n` more bytes and returns where they go; the caller fills them, then
  // calls Commit(n).
  char* Reserve(size_t n) {
    if (size_ + n > capacity_) {
      Grow(size_ + n);
    }
    return data_ + size_;
  }
  void Commit(size_t n) {
    assert(size_ + n <= capacity_);
    size_ += n;
  }

 private:
  static constexpr size_t kInlineBytes = 128;

  void Grow(size_t needed) {
    size_t capacity = capacity_ * 2;
    if (capacity < needed) {
      capacity = needed;
    }
    std::unique_ptr<char[]> bigger(new char[capacity]);
    std::memcpy(bigger.get(), data_, size_);
    heap_ = std::move(bigger);
    data_ = heap_.get();
    capacity_ = capacity;
  }

  char inline_[kInlineBytes];
  std::unique_ptr<char[]> heap_;
  char* data_ = inline_;
  size_t size_ = 0;
  size_t capacity_ = kInlineBytes;
};

}  // namespace cairn::segment

#endif  // CAIRN_SEGMENT_KEY_BUFFER_H_
