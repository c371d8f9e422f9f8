#include "db/info_log.h"

#include <ctime>

#include "env/env_util.h"
#include "util/filename.h"

namespace cairn {

std::unique_ptr<InfoLog> InfoLog::Open(Env* env, const std::string& dir) {
  std::string path = JoinPath(dir, kInfoLogFileName);
  auto exists = env->FileExists(path);
  if (exists.ok() && exists.value()) {
    // Keeping the previous run's log matters most after a crash; failure only loses history.
    env->RenameFile(path, JoinPath(dir, kInfoLogOldFileName)).IgnoreError();
  }
  auto file = env->NewWritableFile(path);
  if (!file.ok()) {
    return nullptr;
  }
  return std::unique_ptr<InfoLog>(new InfoLog(env, std::move(file).value()));
}

void InfoLog::Write(std::string_view message) {
  uint64_t micros = env_->NowMicros();
  auto seconds = static_cast<time_t>(micros / 1000000);
  struct tm utc;
  gmtime_r(&seconds, &utc);
  char stamp[64];
  std::snprintf(stamp, sizeof(stamp), "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<unsigned>(micros % 1000000));
  std::string line(stamp);
  line.append(message.data(), message.size());
  line.push_back('\n');
  MutexLock lock(&mu_);
  // The LOG is diagnostic: losing a line must not fail a write or an open.
  file_->Append(line).IgnoreError();
}

}  // namespace cairn
