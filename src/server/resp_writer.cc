#include "server/resp_writer.h"

#include <cassert>
#include <charconv>

namespace cairn::server {
namespace {

void AppendNumber(std::string* out, long long value) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), value);
  assert(ec == std::errc());
  out->append(digits, end);
}

void AppendHeader(std::string* out, char type, long long count) {
  out->push_back(type);
  AppendNumber(out, count);
  out->append("\r\n");
}

}  // namespace

void RespWriter::SimpleString(std::string_view text) {
  assert(text.find_first_of("\r\n") == std::string_view::npos);
  out_->push_back('+');
  out_->append(text);
  out_->append("\r\n");
}

void RespWriter::Error(std::string_view text) {
  out_->push_back('-');
  size_t start = out_->size();
  out_->append(text);
  for (size_t i = start; i < out_->size(); i++) {
    if ((*out_)[i] == '\r' || (*out_)[i] == '\n') {
      (*out_)[i] = ' ';
    }
  }
  out_->append("\r\n");
}

void RespWriter::Integer(long long value) { AppendHeader(out_, ':', value); }

void RespWriter::Bulk(std::string_view bytes) {
  AppendHeader(out_, '$', static_cast<long long>(bytes.size()));
  out_->append(bytes);
  out_->append("\r\n");
}

void RespWriter::Null() { out_->append(protocol_ >= 3 ? "_\r\n" : "$-1\r\n"); }

void RespWriter::ArrayHeader(size_t count) {
  AppendHeader(out_, '*', static_cast<long long>(count));
}

void RespWriter::MapHeader(size_t pairs) {
  if (protocol_ >= 3) {
    AppendHeader(out_, '%', static_cast<long long>(pairs));
  } else {
    AppendHeader(out_, '*', static_cast<long long>(2 * pairs));
  }
}

}  // namespace cairn::server
