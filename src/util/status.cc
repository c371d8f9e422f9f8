#include "cairn/status.h"

namespace cairn {
namespace {

const char* CodeName(Status::Code code) {
  switch (code) {
    case Status::Code::kOk:
      return "OK";
    case Status::Code::kNotFound:
      return "NotFound";
    case Status::Code::kCorruption:
      return "Corruption";
    case Status::Code::kNotSupported:
      return "NotSupported";
    case Status::Code::kInvalidArgument:
      return "InvalidArgument";
    case Status::Code::kIOError:
      return "IOError";
    case Status::Code::kBusy:
      return "Busy";
  }
  return "Unknown";
}

}  // namespace

std::string Status::ToString() const {
  if (ok()) {
    return "OK";
  }
  std::string text = CodeName(code_);
  switch (subcode_) {
    case SubCode::kNone:
      break;
    case SubCode::kOutcomeUnknown:
      text += " (outcome unknown)";
      break;
    case SubCode::kNoSpace:
      text += " (no space)";
      break;
    case SubCode::kReadOnly:
      text += " (read-only)";
      break;
  }
  text += ": ";
  text += message_;
  return text;
}

Status Status::WithContext(std::string_view context) const {
  if (ok()) {
    return *this;
  }
  std::string msg(context);
  msg += ": ";
  msg += message_;
  return Status(code_, msg, subcode_);
}

}  // namespace cairn
