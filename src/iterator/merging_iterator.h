// A merge of several InternalIterators into one ordered stream (newest source first when two
// sources hold the same internal key, which does not happen: sequence numbers are unique).
#ifndef CAIRN_ITERATOR_MERGING_ITERATOR_H_
#define CAIRN_ITERATOR_MERGING_ITERATOR_H_

#include <memory>
#include <vector>

#include "util/internal_iterator.h"

namespace cairn {

// Takes ownership of the children.
std::unique_ptr<InternalIterator> NewMergingIterator(
    std::vector<std::unique_ptr<InternalIterator>> children);

}  // namespace cairn

#endif  // CAIRN_ITERATOR_MERGING_ITERATOR_H_
