#pragma once

#include <string_view>

#include <fmt/format.h>

namespace runnel::log {

// Severity of a log line. Lines below the process-wide threshold are dropped before
// formatting. The threshold comes from the environment variable RUNNEL_LOG_LEVEL
// (debug, info, warn, error; default info) read once at first use.
enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

bool enabled(Level level);

// Writes one line to stderr: "2026-11-23T02:04:05.123Z WARN <message>". Thread-safe; a line is
// written with one write() so lines from different threads never interleave.
void write(Level level, std::string_view message);

template <typename... Args>
void debug(fmt::format_string<Args...> format, Args&&... args) {
  if (enabled(Level::kDebug))
    write(Level::kDebug, fmt::format(format, std::forward<Args>(args)...));
}
template <typename... Args>
void info(fmt::format_string<Args...> format, Args&&... args) {
  if (enabled(Level::kInfo)) write(Level::kInfo, fmt::format(format, std::forward<Args>(args)...));
}
template <typename... Args>
void warn(fmt::format_string<Args...> format, Args&&... args) {
  if (enabled(Level::kWarn)) write(Level::kWarn, fmt::format(format, std::forward<Args>(args)...));
}
template <typename... Args>
void error(fmt::format_string<Args...> format, Args&&... args) {
  if (enabled(Level::kError))
    write(Level::kError, fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace runnel::log
