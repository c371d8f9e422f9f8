// WriteBatch: a group of Puts and Deletes applied atomically. Either every operation of a
// batch is visible and durable, or none is, also across a crash.
//
// Operations apply in the order they were added; a later operation on the same key in the
// same batch wins. A WriteBatch is a plain value: copyable, not thread-safe.
#ifndef CAIRN_WRITE_BATCH_H_
#define CAIRN_WRITE_BATCH_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "cairn/status.h"

namespace cairn {

class WriteBatch {
 public:
  WriteBatch() = default;

  // Adds a Put. Keys up to 64 KiB and values up to 64 MiB are accepted; larger ones make the
  // write return InvalidArgument.
  void Put(std::string_view key, std::string_view value);
  void Delete(std::string_view key);
  void Clear();

  // Number of operations.
  uint32_t Count() const { return count_; }
  // Approximate size of the batch's encoding in bytes.
  size_t ApproximateSizeBytes() const { return rep_.size(); }

  // Receives a batch's operations in order (see Iterate).
  class Handler {
   public:
    virtual ~Handler() = default;
    virtual void Put(std::string_view key, std::string_view value) = 0;
    virtual void Delete(std::string_view key) = 0;
  };
  // Calls the handler for each operation. Corruption if the encoding is malformed (only
  // possible for a batch decoded from disk).
  Status Iterate(Handler* handler) const;

  // The encoded operations (format in docs/format-wal.md, "batch payload"). For Cairn's
  // internal use and tests.
  const std::string& rep() const { return rep_; }
  // Replaces the contents with an encoding read from disk, after checking its structure.
  Status SetRep(std::string_view rep, uint32_t count);

  // Checks keys and values against their size limits.
  Status Validate() const;

 private:
  std::string rep_;
  uint32_t count_ = 0;
  bool oversized_ = false;
};

}  // namespace cairn

#endif  // CAIRN_WRITE_BATCH_H_
