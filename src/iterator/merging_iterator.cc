#include "iterator/merging_iterator.h"

#include <cassert>

#include "util/internal_key.h"

namespace cairn {
namespace {

// Linear selection over the children: Cairn merges a handful of sources (the MemTables, each
// L0 segment, one level iterator per deeper level), where a heap would cost more than it saves.
class MergingIterator final : public InternalIterator {
 public:
  explicit MergingIterator(std::vector<std::unique_ptr<InternalIterator>> children)
      : children_(std::move(children)) {}

  bool Valid() const override { return current_ != nullptr; }

  void SeekToFirst() override {
    for (auto& child : children_) {
      child->SeekToFirst();
    }
    direction_ = Direction::kForward;
    FindSmallest();
  }

  void SeekToLast() override {
    for (auto& child : children_) {
      child->SeekToLast();
    }
    direction_ = Direction::kReverse;
    FindLargest();
  }

  void Seek(std::string_view target) override {
    for (auto& child : children_) {
      child->Seek(target);
    }
    direction_ = Direction::kForward;
    FindSmallest();
  }

  void Next() override {
    assert(Valid());
    if (direction_ != Direction::kForward) {
      // Every other child is positioned before key(); move each to the first entry after it.
      std::string current_key(key());
      for (auto& child : children_) {
        if (child.get() == current_) {
          continue;
        }
        child->Seek(current_key);
        if (child->Valid() && CompareInternalKeys(child->key(), current_key) == 0) {
          child->Next();
        }
      }
      direction_ = Direction::kForward;
    }
    current_->Next();
    FindSmallest();
  }

  void Prev() override {
    assert(Valid());
    if (direction_ != Direction::kReverse) {
      // Every other child is positioned after key(); move each to the last entry before it.
      std::string current_key(key());
      for (auto& child : children_) {
        if (child.get() == current_) {
          continue;
        }
        child->Seek(current_key);
        if (child->Valid()) {
          child->Prev();
        } else {
          child->SeekToLast();
        }
      }
      direction_ = Direction::kReverse;
    }
    current_->Prev();
    FindLargest();
  }

  std::string_view key() const override { return current_->key(); }
  std::string_view value() const override { return current_->value(); }

  Status status() const override {
    for (const auto& child : children_) {
      Status s = child->status();
      if (!s.ok()) {
        return s;
      }
    }
    return Status::OK();
  }

 private:
  enum class Direction { kForward, kReverse };

  // A child that stopped on an error makes the whole merge stop: skipping its keys would
  // show a wrong view of the database.
  bool AnyChildFailed() const {
    for (const auto& child : children_) {
      if (!child->status().ok()) {
        return true;
      }
    }
    return false;
  }

  void FindSmallest() {
    current_ = nullptr;
    if (AnyChildFailed()) {
      return;
    }
    for (auto& child : children_) {
      if (child->Valid() &&
          (current_ == nullptr || CompareInternalKeys(child->key(), current_->key()) < 0)) {
        current_ = child.get();
      }
    }
  }

  void FindLargest() {
    current_ = nullptr;
    if (AnyChildFailed()) {
      return;
    }
    for (auto& child : children_) {
      if (child->Valid() &&
          (current_ == nullptr || CompareInternalKeys(child->key(), current_->key()) > 0)) {
        current_ = child.get();
      }
    }
  }

  std::vector<std::unique_ptr<InternalIterator>> children_;
  InternalIterator* current_ = nullptr;
  Direction direction_ = Direction::kForward;
};

}  // namespace

std::unique_ptr<InternalIterator> NewMergingIterator(
    std::vector<std::unique_ptr<InternalIterator>> children) {
  return std::make_unique<MergingIterator>(std::move(children));
}

}  // namespace cairn
