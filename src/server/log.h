// Leveled logging to stderr for `cairn serve`: one line per message, with a UTC timestamp and
// the level. Thread-safe (one write(2) per line). The threshold is process-wide and set once
// at startup.
#ifndef CAIRN_SERVER_LOG_H_
#define CAIRN_SERVER_LOG_H_

#include <string>
#include <string_view>

namespace cairn::server {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// Parses "debug", "info", "warning" or "error"; false for anything else.
bool ParseLogLevel(std::string_view name, LogLevel* level);

void SetLogLevel(LogLevel level);
bool LogEnabled(LogLevel level);
// Writes "<time> <LEVEL> <message>\n" to stderr if `level` is enabled.
void Log(LogLevel level, std::string_view message);

}  // namespace cairn::server

#endif  // CAIRN_SERVER_LOG_H_
