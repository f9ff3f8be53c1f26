#include "core/log.h"

#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>

namespace runnel::log {
namespace {

Level threshold_from_environment() {
  const char* value = std::getenv("RUNNEL_LOG_LEVEL");
  if (value == nullptr) return Level::kInfo;
  const std::string_view name(value);
  if (name == "debug") return Level::kDebug;
  if (name == "warn") return Level::kWarn;
  if (name == "error") return Level::kError;
  return Level::kInfo;
}

std::string_view level_name(Level level) {
  switch (level) {
    case Level::kDebug:
      return "DEBUG";
    case Level::kInfo:
      return "INFO";
    case Level::kWarn:
      return "WARN";
    case Level::kError:
      return "ERROR";
  }
  return "?";
}

}  // namespace

bool enabled(Level level) {
  static const Level threshold = threshold_from_environment();
  return level >= threshold;
}

void write(Level level, std::string_view message) {
  const auto now = std::chrono::system_clock::now();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch());
  const time_t seconds = static_cast<time_t>(ms.count() / 1000);
  struct tm utc;
  gmtime_r(&seconds, &utc);
  std::string line =
      fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z {} {}\n", utc.tm_year + 1900,
                  utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                  ms.count() % 1000, level_name(level), message);
  // One write() per line: POSIX keeps writes to a pipe up to PIPE_BUF atomic, and to a
  // terminal or file they do not interleave in practice.
  size_t written = 0;
  while (written < line.size()) {
    const ssize_t n = ::write(STDERR_FILENO, line.data() + written, line.size() - written);
    if (n <= 0) return;  // Nowhere to report a failure to log.
    written += static_cast<size_t>(n);
  }
}

}  // namespace runnel::log
