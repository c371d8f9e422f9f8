// Iterator: an ordered cursor over a consistent view of the database.
//
// An iterator sees the database as of the moment it was created (or as of the snapshot in
// its ReadOptions); later writes are invisible to it. Keys are ordered bytewise
// (memcmp order, shorter first on a common prefix).
//
// Ownership: returned by DB::NewIterator, owned by the caller, and must be destroyed before
// the DB. key() and value() point into the iterator and stay valid until it moves.
// Thread safety: one thread at a time per iterator.
#ifndef CAIRN_ITERATOR_H_
#define CAIRN_ITERATOR_H_

#include <string_view>

#include "cairn/status.h"

namespace cairn {

class Iterator {
 public:
  Iterator() = default;
  Iterator(const Iterator&) = delete;
  Iterator& operator=(const Iterator&) = delete;
  virtual ~Iterator() = default;

  // Whether the iterator is positioned at an entry. False after moving past either end or
  // after an error (then status() says which).
  virtual bool Valid() const = 0;

  virtual void SeekToFirst() = 0;
  virtual void SeekToLast() = 0;
  // Positions at the first key >= target.
  virtual void Seek(std::string_view target) = 0;
  // Require Valid().
  virtual void Next() = 0;
  virtual void Prev() = 0;

  // Require Valid().
  virtual std::string_view key() const = 0;
  virtual std::string_view value() const = 0;

  // OK unless reading failed (e.g. Corruption naming the file and offset).
  virtual Status status() const = 0;
};

}  // namespace cairn

#endif  // CAIRN_ITERATOR_H_
