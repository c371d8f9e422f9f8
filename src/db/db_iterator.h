// DBIterator: the public Iterator over a merged InternalIterator at one sequence number. It
// shows, for each user key, the newest version with sequence <= the read sequence, and hides
// keys whose newest visible version is a deletion.
#ifndef CAIRN_DB_DB_ITERATOR_H_
#define CAIRN_DB_DB_ITERATOR_H_

#include <cstdint>
#include <memory>

#include "cairn/iterator.h"
#include "util/internal_iterator.h"

namespace cairn {

// `keep_alive` is held for the iterator's lifetime (the sources `internal` reads from).
std::unique_ptr<Iterator> NewDBIterator(std::unique_ptr<InternalIterator> internal,
                                        uint64_t sequence, std::shared_ptr<const void> keep_alive);

}  // namespace cairn

#endif  // CAIRN_DB_DB_ITERATOR_H_
