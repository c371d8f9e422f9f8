// InternalIterator: a cursor over internal keys (user key + sequence + kind), the common
// interface of the MemTable, of segments and levels of segments, and of the merge over all of
// them (iterator/merging_iterator.h). DBIter
// turns one into the public Iterator by hiding old versions and deletions.
//
// Same contract as cairn::Iterator, except that key() returns an internal key and Seek()
// takes one. Ownership and threading: owned by the caller; one thread at a time.
#ifndef CAIRN_UTIL_INTERNAL_ITERATOR_H_
#define CAIRN_UTIL_INTERNAL_ITERATOR_H_

#include <string_view>

#include "cairn/status.h"

namespace cairn {

class InternalIterator {
 public:
  InternalIterator() = default;
  InternalIterator(const InternalIterator&) = delete;
  InternalIterator& operator=(const InternalIterator&) = delete;
  virtual ~InternalIterator() = default;

  virtual bool Valid() const = 0;
  virtual void SeekToFirst() = 0;
  virtual void SeekToLast() = 0;
  // Positions at the first entry >= internal_key.
  virtual void Seek(std::string_view internal_key) = 0;
  virtual void Next() = 0;
  virtual void Prev() = 0;
  virtual std::string_view key() const = 0;
  virtual std::string_view value() const = 0;
  virtual Status status() const = 0;
};

}  // namespace cairn

#endif  // CAIRN_UTIL_INTERNAL_ITERATOR_H_
