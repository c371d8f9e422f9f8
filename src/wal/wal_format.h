// The WAL's on-disk identity (spec: docs/format-wal.md). A WAL file is a record file
// (record/record_format.h) with the magic "CAIRNWAL" whose records are of type kBatch: each
// payload is one WriteBatch (docs/format-wal.md, "batch payload"), first_seq and seq_count are
// the batch's sequence numbers, and the header's prev_file_number names the previous WAL (0
// for the database's first), which is how recovery proves the chain of WALs has no gap.
// Written to disk: never change it.
#ifndef CAIRN_WAL_WAL_FORMAT_H_
#define CAIRN_WAL_WAL_FORMAT_H_

#include <string_view>

#include "record/record_format.h"

namespace cairn::wal {

// "CAIRNWAL": a WAL file, the record file of a database's writes.
inline constexpr std::string_view kWalMagic{"CAIRNWAL", 8};
static_assert(kWalMagic.size() == record::kMagicSize);

}  // namespace cairn::wal

#endif  // CAIRN_WAL_WAL_FORMAT_H_
