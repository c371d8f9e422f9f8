#include "db/identity.h"

#include <cstring>

#include "env/env_util.h"
#include "util/coding.h"
#include "util/crc32c.h"
#include "util/filename.h"

namespace cairn {
namespace {

constexpr std::string_view kIdentityMagic{"CAIRNID1", 8};
constexpr uint32_t kIdentityVersion = 1;
constexpr size_t kIdentityCrcOffset = 32;
static_assert(kIdentityCrcOffset + 4 == kIdentityFileSize);

}  // namespace

std::string EncodeIdentity(const record::DbId& id) {
  std::string out(kIdentityMagic);
  PutFixed32(&out, kIdentityVersion);
  PutFixed32(&out, 0);
  out.append(reinterpret_cast<const char*>(id.data()), id.size());
  PutFixed32(&out, crc32c::Mask(crc32c::Value(out.data(), kIdentityCrcOffset)));
  assert(out.size() == kIdentityFileSize);
  return out;
}

Status DecodeIdentity(std::string_view bytes, record::DbId* id) {
  if (bytes.size() != kIdentityFileSize) {
    return Status::Corruption("IDENTITY has " + std::to_string(bytes.size()) + " bytes, expected " +
                              std::to_string(kIdentityFileSize));
  }
  if (bytes.substr(0, 8) != kIdentityMagic) {
    return Status::Corruption("IDENTITY: bad magic");
  }
  if (crc32c::Unmask(DecodeFixed32(bytes.data() + kIdentityCrcOffset)) !=
      crc32c::Value(bytes.data(), kIdentityCrcOffset)) {
    return Status::Corruption("IDENTITY: checksum mismatch");
  }
  uint32_t version = DecodeFixed32(bytes.data() + 8);
  if (version != kIdentityVersion) {
    return Status::NotSupported("IDENTITY: format version " + std::to_string(version));
  }
  std::memcpy(id->data(), bytes.data() + 16, id->size());
  return Status::OK();
}

Status ReadIdentity(Env* env, const std::string& dir, record::DbId* id) {
  auto bytes = ReadWholeFile(env, JoinPath(dir, kIdentityFileName), kIdentityFileSize);
  if (!bytes.ok()) {
    return bytes.status();
  }
  return DecodeIdentity(bytes.value(), id);
}

Status WriteIdentity(Env* env, const std::string& dir, const record::DbId& id) {
  return PublishFile(env, dir, std::string(kIdentityFileName), EncodeIdentity(id));
}

}  // namespace cairn
