// The iterator over one level >= 1: its files are sorted and disjoint, so the level reads as
// one sorted sequence. Only the current file's iterator is open at a time.
#include <algorithm>
#include <cassert>

#include "manifest/version.h"
#include "util/internal_key.h"

namespace cairn {
namespace {

class LevelIterator final : public InternalIterator {
 public:
  explicit LevelIterator(Version::Files files) : files_(std::move(files)) {}

  bool Valid() const override { return current_ != nullptr && current_->Valid(); }

  void SeekToFirst() override {
    OpenFile(0);
    if (current_ != nullptr) current_->SeekToFirst();
    SkipEmptyForward();
  }

  void SeekToLast() override {
    OpenFile(files_.empty() ? kNone : files_.size() - 1);
    if (current_ != nullptr) current_->SeekToLast();
    SkipEmptyBackward();
  }

  void Seek(std::string_view target) override {
    // The first file whose largest key is >= target holds the answer, or the next one does.
    auto it = std::lower_bound(files_.begin(), files_.end(), target,
                               [](const std::shared_ptr<const LiveSegment>& file,
                                  std::string_view key) {
                                 return CompareInternalKeys(file->meta.largest, key) < 0;
                               });
    size_t index = static_cast<size_t>(it - files_.begin());
    OpenFile(index < files_.size() ? index : kNone);
    if (current_ != nullptr) current_->Seek(target);
    SkipEmptyForward();
  }

  void Next() override {
    assert(Valid());
    current_->Next();
    SkipEmptyForward();
  }

  void Prev() override {
    assert(Valid());
    current_->Prev();
    SkipEmptyBackward();
  }

  std::string_view key() const override { return current_->key(); }
  std::string_view value() const override { return current_->value(); }

  Status status() const override {
    if (!error_.ok()) return error_;
    return current_ != nullptr ? current_->status() : Status::OK();
  }

 private:
  static constexpr size_t kNone = static_cast<size_t>(-1);

  void OpenFile(size_t index) {
    if (index == index_ && current_ != nullptr) {
      return;
    }
    if (current_ != nullptr && !current_->status().ok() && error_.ok()) {
      error_ = current_->status();  // keep the first error even after moving on
    }
    index_ = index;
    current_ = index == kNone ? nullptr : files_[index]->segment->NewIterator();
  }

  // A file iterator that ran off its end moves to the next file, unless it stopped on an
  // error, which must surface instead of being skipped.
  void SkipEmptyForward() {
    while (current_ != nullptr && !current_->Valid() && current_->status().ok()) {
      if (index_ + 1 >= files_.size()) {
        current_.reset();
        return;
      }
      OpenFile(index_ + 1);
      current_->SeekToFirst();
    }
  }

  void SkipEmptyBackward() {
    while (current_ != nullptr && !current_->Valid() && current_->status().ok()) {
      if (index_ == 0) {
        current_.reset();
        return;
      }
      OpenFile(index_ - 1);
      current_->SeekToLast();
    }
  }

  Version::Files files_;
  size_t index_ = kNone;
  std::unique_ptr<InternalIterator> current_;
  Status error_;
};

}  // namespace

std::unique_ptr<InternalIterator> NewLevelIterator(const Version::Files& files) {
  return std::make_unique<LevelIterator>(files);
}

}  // namespace cairn
