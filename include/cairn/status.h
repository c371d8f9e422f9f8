// Status and Result<T>: how every Cairn operation that can fail reports the outcome.
//
// No exception crosses Cairn's API. Every function that can fail returns a Status (or a
// Result<T>, a Status plus a value on success); both are [[nodiscard]], so ignoring one is
// a compile error under -Werror. Ignoring a status on purpose is written explicitly as
// `status.IgnoreError();` with a comment saying why.
//
// Thread safety: a Status is a plain value; distinct objects may be used from any thread.
#ifndef CAIRN_STATUS_H_
#define CAIRN_STATUS_H_

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace cairn {

class [[nodiscard]] Status {
 public:
  // The broad kind of outcome. Callers branch on these.
  enum class Code : unsigned char {
    kOk = 0,
    kNotFound = 1,         // the key (or file) does not exist
    kCorruption = 2,       // data read from disk failed validation; the message names where
    kNotSupported = 3,     // the operation or format version is not supported
    kInvalidArgument = 4,  // the caller passed something invalid
    kIOError = 5,          // the operating system reported an error
    kBusy = 6,             // the resource is held by someone else (e.g. the database LOCK)
  };

  // A refinement of the code for outcomes a caller must tell apart.
  enum class SubCode : unsigned char {
    kNone = 0,
    // IOError: a write whose WAL write or sync failed. It may or may not be durable: a
    // later open decides. It was never visible to readers of this DB object.
    kOutcomeUnknown = 1,
    // IOError: the device is full (ENOSPC).
    kNoSpace = 2,
    // IOError: the database is in its sticky read-only error state after a write-path
    // failure; the message carries the original cause. Reopen to recover.
    kReadOnly = 3,
  };

  // An OK status. Cheap: no allocation.
  Status() = default;

  static Status OK() { return Status(); }
  static Status NotFound(std::string_view msg) { return Status(Code::kNotFound, msg); }
  static Status Corruption(std::string_view msg) { return Status(Code::kCorruption, msg); }
  static Status NotSupported(std::string_view msg) { return Status(Code::kNotSupported, msg); }
  static Status InvalidArgument(std::string_view msg) {
    return Status(Code::kInvalidArgument, msg);
  }
  static Status IOError(std::string_view msg, SubCode sub = SubCode::kNone) {
    return Status(Code::kIOError, msg, sub);
  }
  static Status Busy(std::string_view msg) { return Status(Code::kBusy, msg); }

  bool ok() const { return code_ == Code::kOk; }
  bool IsNotFound() const { return code_ == Code::kNotFound; }
  bool IsCorruption() const { return code_ == Code::kCorruption; }
  bool IsNotSupported() const { return code_ == Code::kNotSupported; }
  bool IsInvalidArgument() const { return code_ == Code::kInvalidArgument; }
  bool IsIOError() const { return code_ == Code::kIOError; }
  bool IsBusy() const { return code_ == Code::kBusy; }
  bool IsOutcomeUnknown() const { return subcode_ == SubCode::kOutcomeUnknown; }
  bool IsNoSpace() const { return subcode_ == SubCode::kNoSpace; }
  bool IsReadOnly() const { return subcode_ == SubCode::kReadOnly; }

  Code code() const { return code_; }
  SubCode subcode() const { return subcode_; }
  // The message without the code prefix.
  const std::string& message() const { return message_; }

  // "OK", or "<Code>: <message>", e.g. "Corruption: 000007.wal offset 4096: bad checksum".
  std::string ToString() const;

  // Returns a copy whose message is "<context>: <message>", keeping the code and subcode.
  Status WithContext(std::string_view context) const;

  // Marks a status as deliberately ignored. Every call site says why in a comment.
  void IgnoreError() const {}

 private:
  Status(Code code, std::string_view msg, SubCode sub = SubCode::kNone)
      : code_(code), subcode_(sub), message_(msg) {
    assert(code != Code::kOk);
  }

  Code code_ = Code::kOk;
  SubCode subcode_ = SubCode::kNone;
  std::string message_;
};

// A value of type T, or the Status saying why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  // Implicit from a value (success) or from a non-OK status (failure), so functions can
  // `return value;` or `return Status::IOError(...);`.
  Result(T value) : value_(std::move(value)) {}  // NOLINT(runtime/explicit)
  Result(Status status) : status_(std::move(status)) {  // NOLINT(runtime/explicit)
    assert(!status_.ok() && "a Result built from a status must carry an error");
  }

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }

  // Only valid when ok().
  T& value() & {
    assert(ok());
    return *value_;
  }
  const T& value() const& {
    assert(ok());
    return *value_;
  }
  // By value, so `for (auto& x : F().value())` over a temporary Result cannot dangle.
  T value() && {
    assert(ok());
    return std::move(*value_);
  }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace cairn

// Returns from the enclosing function if `expr` yields a non-OK Status.
#define CAIRN_RETURN_IF_ERROR(expr)        \
  do {                                     \
    ::cairn::Status cairn_status_ = (expr); \
    if (!cairn_status_.ok()) {             \
      return cairn_status_;                \
    }                                      \
  } while (0)

#endif  // CAIRN_STATUS_H_
