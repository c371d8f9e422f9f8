// FaultEnv: every operation passes through MaybeFail(), which numbers it and decides, from
// the armed rules alone, whether it fails. The decision is made before the base Env is
// called, so an injected failure never has a side effect: the error sweep in the tests
// relies on "failed means nothing happened" to predict what a reopen must find.
#include "testsupport/fault_env.h"

#include <utility>

namespace cairn {

const char* FaultKindName(FaultKind kind) {
  switch (kind) {
    case kFaultOpen:
      return "open";
    case kFaultRead:
      return "read";
    case kFaultWrite:
      return "write";
    case kFaultSync:
      return "sync";
    case kFaultDirSync:
      return "dir sync";
    case kFaultRename:
      return "rename";
    case kFaultUnlink:
      return "unlink";
    case kFaultCreateDir:
      return "mkdir";
    case kFaultClose:
      return "close";
    default:
      return "unknown";
  }
}

namespace {

class FaultWritableFile final : public WritableFile {
 public:
  FaultWritableFile(FaultEnv* env, std::unique_ptr<WritableFile> base, std::string path)
      : env_(env), base_(std::move(base)), path_(std::move(path)) {}

  Status Append(std::string_view data) override {
    CAIRN_RETURN_IF_ERROR(env_->MaybeFail(kFaultWrite, path_));
    return base_->Append(data);
  }
  Status Sync() override {
    CAIRN_RETURN_IF_ERROR(env_->MaybeFail(kFaultSync, path_));
    return base_->Sync();
  }
  Status Close() override {
    CAIRN_RETURN_IF_ERROR(env_->MaybeFail(kFaultClose, path_));
    return base_->Close();
  }

 private:
  FaultEnv* const env_;
  const std::unique_ptr<WritableFile> base_;
  const std::string path_;
};

class FaultReadableFile final : public ReadableFile {
 public:
  FaultReadableFile(FaultEnv* env, std::unique_ptr<ReadableFile> base, std::string path)
      : env_(env), base_(std::move(base)), path_(std::move(path)) {}

  Status Read(uint64_t offset, size_t n, char* scratch, std::string_view* result) const override {
    Status injected = env_->MaybeFail(kFaultRead, path_);
    if (!injected.ok()) {
      *result = std::string_view();
      return injected;
    }
    return base_->Read(offset, n, scratch, result);
  }
  Result<uint64_t> Size() const override {
    CAIRN_RETURN_IF_ERROR(env_->MaybeFail(kFaultRead, path_));
    return base_->Size();
  }

 private:
  FaultEnv* const env_;
  const std::unique_ptr<ReadableFile> base_;
  const std::string path_;
};

}  // namespace

FaultEnv::FaultEnv(Env* base) : base_(base) {}
FaultEnv::~FaultEnv() = default;

void FaultEnv::FailOperation(uint64_t index, uint32_t kind_mask) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_index_armed_ = true;
  fail_index_ = index;
  fail_index_kinds_ = kind_mask;
}

void FaultEnv::FailKinds(uint32_t kind_mask) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_kinds_ = kind_mask;
}

void FaultEnv::FailPath(const std::string& substring, uint32_t kind_mask) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_path_ = substring;
  fail_path_kinds_ = kind_mask;
}

void FaultEnv::FailRandomly(uint32_t one_in, uint64_t seed, uint32_t kind_mask) {
  std::lock_guard<std::mutex> lock(mu_);
  random_one_in_ = one_in;
  random_kinds_ = kind_mask;
  random_.seed(seed);
}

void FaultEnv::SetFlavour(FaultFlavour flavour) {
  std::lock_guard<std::mutex> lock(mu_);
  flavour_ = flavour;
}

void FaultEnv::ClearFaults() {
  std::lock_guard<std::mutex> lock(mu_);
  fail_index_armed_ = false;
  fail_kinds_ = 0;
  fail_path_.clear();
  fail_path_kinds_ = 0;
  random_one_in_ = 0;
  random_kinds_ = 0;
}

uint64_t FaultEnv::operation_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return op_count_;
}

uint64_t FaultEnv::injected_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return injected_count_;
}

void FaultEnv::SetInjectionObserver(std::function<void(const Injection&)> observer) {
  std::lock_guard<std::mutex> lock(mu_);
  observer_ = std::move(observer);
}

Status FaultEnv::MaybeFail(FaultKind kind, const std::string& path, const std::string& path2) {
  std::lock_guard<std::mutex> lock(mu_);
  const uint64_t index = op_count_++;
  bool fail = false;
  if (fail_index_armed_ && index == fail_index_ && (kind & fail_index_kinds_) != 0) {
    fail = true;
  }
  if ((kind & fail_kinds_) != 0) {
    fail = true;
  }
  if (!fail_path_.empty() && (kind & fail_path_kinds_) != 0 &&
      (path.find(fail_path_) != std::string::npos ||
       (!path2.empty() && path2.find(fail_path_) != std::string::npos))) {
    fail = true;
  }
  // The generator is drawn for every eligible operation, whatever the other rules decided,
  // so arming another rule does not shift the random sequence of a replayed run.
  if (random_one_in_ != 0 && (kind & random_kinds_) != 0 && random_() % random_one_in_ == 0) {
    fail = true;
  }
  if (!fail) {
    return Status::OK();
  }
  ++injected_count_;
  if (observer_) {
    observer_(Injection{index, kind, path, std::this_thread::get_id()});
  }
  std::string msg = "FaultEnv: injected ";
  msg += flavour_ == FaultFlavour::kENOSPC ? "ENOSPC" : "EIO";
  msg += " on " + std::string(FaultKindName(kind)) + " #" + std::to_string(index) + " " + path;
  if (!path2.empty()) {
    msg += " " + path2;
  }
  if (flavour_ == FaultFlavour::kENOSPC) {
    return Status::IOError(msg, Status::SubCode::kNoSpace);
  }
  return Status::IOError(msg);
}

Result<std::unique_ptr<WritableFile>> FaultEnv::NewWritableFile(const std::string& path) {
  CAIRN_RETURN_IF_ERROR(MaybeFail(kFaultOpen, path));
  Result<std::unique_ptr<WritableFile>> file = base_->NewWritableFile(path);
  if (!file.ok()) {
    return file.status();
  }
  return std::unique_ptr<WritableFile>(new FaultWritableFile(this, std::move(file).value(), path));
}

Result<std::unique_ptr<WritableFile>> FaultEnv::ReuseWritableFile(const std::string& path) {
  CAIRN_RETURN_IF_ERROR(MaybeFail(kFaultOpen, path));
  Result<std::unique_ptr<WritableFile>> file = base_->ReuseWritableFile(path);
  if (!file.ok()) {
    return file.status();
  }
  return std::unique_ptr<WritableFile>(new FaultWritableFile(this, std::move(file).value(), path));
}

Result<std::unique_ptr<ReadableFile>> FaultEnv::NewReadableFile(const std::string& path) {
  CAIRN_RETURN_IF_ERROR(MaybeFail(kFaultOpen, path));
  Result<std::unique_ptr<ReadableFile>> file = base_->NewReadableFile(path);
  if (!file.ok()) {
    return file.status();
  }
  return std::unique_ptr<ReadableFile>(new FaultReadableFile(this, std::move(file).value(), path));
}

Result<bool> FaultEnv::FileExists(const std::string& path) {
  CAIRN_RETURN_IF_ERROR(MaybeFail(kFaultRead, path));
  return base_->FileExists(path);
}

Result<std::vector<std::string>> FaultEnv::GetChildren(const std::string& dir) {
  CAIRN_RETURN_IF_ERROR(MaybeFail(kFaultRead, dir));
  return base_->GetChildren(dir);
}

Result<uint64_t> FaultEnv::GetFileSize(const std::string& path) {
  CAIRN_RETURN_IF_ERROR(MaybeFail(kFaultRead, path));
  return base_->GetFileSize(path);
}

Status FaultEnv::RemoveFile(const std::string& path) {
  CAIRN_RETURN_IF_ERROR(MaybeFail(kFaultUnlink, path));
  return base_->RemoveFile(path);
}

Status FaultEnv::RenameFile(const std::string& from, const std::string& to) {
  CAIRN_RETURN_IF_ERROR(MaybeFail(kFaultRename, from, to));
  return base_->RenameFile(from, to);
}

Status FaultEnv::LinkFile(const std::string& from, const std::string& to) {
  CAIRN_RETURN_IF_ERROR(MaybeFail(kFaultRename, from, to));
  return base_->LinkFile(from, to);
}

Status FaultEnv::CreateDir(const std::string& path) {
  CAIRN_RETURN_IF_ERROR(MaybeFail(kFaultCreateDir, path));
  return base_->CreateDir(path);
}

Status FaultEnv::RemoveDir(const std::string& path) {
  CAIRN_RETURN_IF_ERROR(MaybeFail(kFaultUnlink, path));
  return base_->RemoveDir(path);
}

Status FaultEnv::SyncDir(const std::string& dir) {
  CAIRN_RETURN_IF_ERROR(MaybeFail(kFaultDirSync, dir));
  return base_->SyncDir(dir);
}

Status FaultEnv::TruncateFile(const std::string& path, uint64_t size_bytes) {
  CAIRN_RETURN_IF_ERROR(MaybeFail(kFaultSync, path));
  return base_->TruncateFile(path, size_bytes);
}

Result<std::unique_ptr<FileLock>> FaultEnv::LockFile(const std::string& path) {
  CAIRN_RETURN_IF_ERROR(MaybeFail(kFaultOpen, path));
  return base_->LockFile(path);
}

uint64_t FaultEnv::NowMicros() { return base_->NowMicros(); }
uint64_t FaultEnv::NowMonotonicMicros() { return base_->NowMonotonicMicros(); }
void FaultEnv::SleepMicros(uint64_t micros) { base_->SleepMicros(micros); }
std::thread FaultEnv::StartThread(std::function<void()> fn) {
  return base_->StartThread(std::move(fn));
}
void FaultEnv::RandomBytes(void* out, size_t n) { base_->RandomBytes(out, n); }

}  // namespace cairn
