#include "db/db_iterator.h"

#include <cassert>
#include <string>

#include "util/constants.h"
#include "util/internal_key.h"

namespace cairn {
namespace {

class DBIterator final : public Iterator {
 public:
  DBIterator(std::unique_ptr<InternalIterator> internal, uint64_t sequence,
             std::shared_ptr<const void> keep_alive)
      : keep_alive_(std::move(keep_alive)), iter_(std::move(internal)), sequence_(sequence) {}

  bool Valid() const override { return valid_; }

  std::string_view key() const override {
    assert(valid_);
    return direction_ == Direction::kForward ? ExtractUserKey(iter_->key())
                                             : std::string_view(saved_key_);
  }

  std::string_view value() const override {
    assert(valid_);
    return direction_ == Direction::kForward ? iter_->value() : std::string_view(saved_value_);
  }

  Status status() const override { return iter_->status(); }

  void SeekToFirst() override {
    direction_ = Direction::kForward;
    iter_->SeekToFirst();
    FindNextVisible(/*skip_through=*/nullptr);
  }

  void Seek(std::string_view target) override {
    direction_ = Direction::kForward;
    std::string internal_key;
    AppendInternalKey(&internal_key, target, sequence_, kValueKindForSeek);
    iter_->Seek(internal_key);
    FindNextVisible(nullptr);
  }

  void SeekToLast() override {
    direction_ = Direction::kReverse;
    iter_->SeekToLast();
    FindPrevVisible();
  }

  void Next() override {
    assert(valid_);
    if (direction_ == Direction::kReverse) {
      // iter_ is before every entry of saved_key_; jump to its first entry.
      SeekToNewest(saved_key_);
      direction_ = Direction::kForward;
    } else {
      saved_key_.assign(ExtractUserKey(iter_->key()));
    }
    // Every remaining entry of the current key is an older version: skip through them.
    FindNextVisible(&saved_key_);
  }

  void Prev() override {
    assert(valid_);
    if (direction_ == Direction::kForward) {
      // Move iter_ to just before every entry of the current key.
      saved_key_.assign(ExtractUserKey(iter_->key()));
      SeekToNewest(saved_key_);
      if (iter_->Valid()) {
        iter_->Prev();
      } else {
        iter_->SeekToLast();
      }
      direction_ = Direction::kReverse;
    }
    FindPrevVisible();
  }

 private:
  enum class Direction {
    kForward,  // iter_ is at the entry key()/value() show
    kReverse,  // iter_ is before every entry of saved_key_; key()/value() show the saved copy
  };

  // Positions iter_ at the newest entry of `user_key` (or the first entry after it).
  void SeekToNewest(const std::string& user_key) {
    std::string internal_key;
    AppendInternalKey(&internal_key, user_key, kMaxSequenceNumber, kValueKindForSeek);
    iter_->Seek(internal_key);
  }

  // Moves forward from iter_ to the first visible, live entry. Entries whose user key is
  // <= *skip_through (if given), and keys whose newest visible version is a deletion, are
  // skipped.
  void FindNextVisible(const std::string* skip_through) {
    std::string hidden;
    bool hiding = skip_through != nullptr;
    if (hiding) {
      hidden = *skip_through;
    }
    for (; iter_->Valid(); iter_->Next()) {
      std::string_view ikey = iter_->key();
      if (ExtractSequence(ikey) > sequence_) {
        continue;  // written after this iterator's sequence
      }
      std::string_view user_key = ExtractUserKey(ikey);
      if (hiding && user_key.compare(hidden) <= 0) {
        continue;  // an older version of a key already decided
      }
      if (ExtractKind(ikey) == ValueKind::kDelete) {
        hidden.assign(user_key);
        hiding = true;
        continue;
      }
      valid_ = true;
      return;
    }
    valid_ = false;
  }

  // Moves backward from iter_, collecting the newest visible version of each key; stops once
  // a key with a live newest version is complete (iter_ then sits before its entries).
  void FindPrevVisible() {
    bool have_live = false;
    for (; iter_->Valid(); iter_->Prev()) {
      std::string_view ikey = iter_->key();
      if (ExtractSequence(ikey) > sequence_) {
        continue;
      }
      std::string_view user_key = ExtractUserKey(ikey);
      if (have_live && user_key.compare(saved_key_) < 0) {
        break;  // saved_key_'s versions are complete
      }
      // Walking backward visits a key's versions oldest first, so the last one seen wins.
      if (ExtractKind(ikey) == ValueKind::kDelete) {
        have_live = false;
        saved_value_.clear();
      } else {
        have_live = true;
        saved_key_.assign(user_key);
        saved_value_.assign(iter_->value());
      }
    }
    valid_ = have_live;
    if (!valid_) {
      saved_key_.clear();
      saved_value_.clear();
    }
  }

  std::shared_ptr<const void> keep_alive_;
  std::unique_ptr<InternalIterator> iter_;
  const uint64_t sequence_;
  Direction direction_ = Direction::kForward;
  bool valid_ = false;
  std::string saved_key_;
  std::string saved_value_;
};

}  // namespace

std::unique_ptr<Iterator> NewDBIterator(std::unique_ptr<InternalIterator> internal,
                                        uint64_t sequence, std::shared_ptr<const void> keep_alive) {
  return std::make_unique<DBIterator>(std::move(internal), sequence, std::move(keep_alive));
}

}  // namespace cairn
