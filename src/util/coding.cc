#include "util/coding.h"

namespace cairn {

void PutFixed32(std::string* dst, uint32_t value) {
  char buf[4];
  EncodeFixed32(buf, value);
  dst->append(buf, sizeof(buf));
}

void PutFixed64(std::string* dst, uint64_t value) {
  char buf[8];
  EncodeFixed64(buf, value);
  dst->append(buf, sizeof(buf));
}

char* EncodeVarint32(char* dst, uint32_t value) {
  auto* out = reinterpret_cast<unsigned char*>(dst);
  while (value >= 0x80) {
    *out++ = static_cast<unsigned char>(value | 0x80);
    value >>= 7;
  }
  *out++ = static_cast<unsigned char>(value);
  return reinterpret_cast<char*>(out);
}

void PutVarint32(std::string* dst, uint32_t value) {
  char buf[5];
  char* end = EncodeVarint32(buf, value);
  dst->append(buf, static_cast<size_t>(end - buf));
}

void PutVarint64(std::string* dst, uint64_t value) {
  char buf[10];
  auto* out = reinterpret_cast<unsigned char*>(buf);
  while (value >= 0x80) {
    *out++ = static_cast<unsigned char>(value | 0x80);
    value >>= 7;
  }
  *out++ = static_cast<unsigned char>(value);
  dst->append(buf, static_cast<size_t>(reinterpret_cast<char*>(out) - buf));
}

void PutLengthPrefixed(std::string* dst, std::string_view value) {
  PutVarint32(dst, static_cast<uint32_t>(value.size()));
  dst->append(value.data(), value.size());
}

bool GetFixed32(std::string_view* input, uint32_t* value) {
  if (input->size() < 4) {
    return false;
  }
  *value = DecodeFixed32(input->data());
  input->remove_prefix(4);
  return true;
}

bool GetFixed64(std::string_view* input, uint64_t* value) {
  if (input->size() < 8) {
    return false;
  }
  *value = DecodeFixed64(input->data());
  input->remove_prefix(8);
  return true;
}

bool GetVarint64(std::string_view* input, uint64_t* value) {
  uint64_t result = 0;
  for (uint32_t shift = 0; shift <= 63 && !input->empty(); shift += 7) {
    auto byte = static_cast<unsigned char>(input->front());
    input->remove_prefix(1);
    if (shift == 63 && byte > 1) {
      return false;  // more than 64 bits
    }
    result |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *value = result;
      return true;
    }
  }
  return false;
}

bool GetVarint32(std::string_view* input, uint32_t* value) {
  uint64_t wide = 0;
  if (!GetVarint64(input, &wide) || wide > UINT32_MAX) {
    return false;
  }
  *value = static_cast<uint32_t>(wide);
  return true;
}

bool GetLengthPrefixed(std::string_view* input, std::string_view* value) {
  uint32_t length = 0;
  if (!GetVarint32(input, &length) || length > input->size()) {
    return false;
  }
  *value = input->substr(0, length);
  input->remove_prefix(length);
  return true;
}

int VarintLength(uint64_t value) {
  int length = 1;
  while (value >= 0x80) {
    value >>= 7;
    length++;
  }
  return length;
}

}  // namespace cairn
