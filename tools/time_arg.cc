#include "tools/time_arg.h"

#include <charconv>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>

namespace runnel::tools {
namespace {

Status bad_time(std::string_view text, std::string_view expected) {
  return invalid_argument_error("'" + std::string(text) + "' is not " + std::string(expected));
}

// "-1h30m" → 5'400'000; nullopt when `text` is not a minus sign followed by amounts with units.
std::optional<Timestamp> parse_relative(std::string_view text) {
  if (text.size() < 3 || text.front() != '-') return std::nullopt;
  std::string_view rest = text.substr(1);
  Timestamp total = 0;
  while (!rest.empty()) {
    Timestamp amount = 0;
    auto [end, error] = std::from_chars(rest.data(), rest.data() + rest.size(), amount);
    if (error != std::errc() || amount < 0) return std::nullopt;
    rest.remove_prefix(static_cast<size_t>(end - rest.data()));
    Timestamp unit_ms = 0;
    if (rest.starts_with("ms")) {
      unit_ms = 1;
      rest.remove_prefix(2);
    } else if (!rest.empty() && rest.front() == 'd') {
      unit_ms = 86'400'000;
    } else if (!rest.empty() && rest.front() == 'h') {
      unit_ms = 3'600'000;
    } else if (!rest.empty() && rest.front() == 'm') {
      unit_ms = 60'000;
    } else if (!rest.empty() && rest.front() == 's') {
      unit_ms = 1'000;
    } else {
      return std::nullopt;
    }
    if (unit_ms != 1) rest.remove_prefix(1);
    total += amount * unit_ms;
  }
  return total;
}

}  // namespace

Result<Timestamp> parse_time_point(std::string_view text) {
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now().time_since_epoch());
  return parse_time_point(text, now.count());
}

Result<Timestamp> parse_time_point(std::string_view text, Timestamp now) {
  if (std::optional<Timestamp> ago = parse_relative(text)) {
    if (*ago > now) return bad_time(text, "a time at or after the epoch");
    return now - *ago;
  }
  Timestamp millis = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), millis);
  if (error == std::errc() && end == text.data() + text.size()) {
    if (millis < 0) return bad_time(text, "a time at or after the epoch");
    return millis;
  }
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, consumed = 0;
  const std::string copy(text);
  if (std::sscanf(copy.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &year, &month, &day, &hour, &minute,
                  &second, &consumed) != 6) {
    return bad_time(text,
                    "a time (epoch milliseconds, YYYY-MM-DDTHH:MM:SS[.mmm]Z, or a time ago "
                    "such as -1h, -15m, -30s, -2d)");
  }
  std::string_view rest = text.substr(static_cast<size_t>(consumed));
  int fraction_ms = 0;
  if (!rest.empty() && rest.front() == '.') {
    rest.remove_prefix(1);
    int digits = 0;
    while (!rest.empty() && rest.front() >= '0' && rest.front() <= '9') {
      if (digits < 3) fraction_ms = fraction_ms * 10 + (rest.front() - '0');
      ++digits;
      rest.remove_prefix(1);
    }
    if (digits == 0) return bad_time(text, "a time with digits after its decimal point");
    for (; digits < 3; ++digits) fraction_ms *= 10;
  }
  if (rest != "Z") return bad_time(text, "a UTC time: it must end in Z");
  using namespace std::chrono;
  const year_month_day date{std::chrono::year(year),
                            std::chrono::month(static_cast<unsigned>(month)),
                            std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok() || hour > 23 || minute > 59 || second > 59) {
    return bad_time(text, "a valid calendar date and time");
  }
  const auto point =
      sys_days(date) + hours(hour) + minutes(minute) + seconds(second) + milliseconds(fraction_ms);
  return duration_cast<milliseconds>(point.time_since_epoch()).count();
}

Result<Timestamp> parse_duration(std::string_view text) {
  const Status bad = bad_time(text, "an ISO 8601 duration such as PT1H, P1DT12H or PT30S");
  if (text.size() < 3 || text.front() != 'P') return bad;
  std::string_view rest = text.substr(1);
  bool in_time = false;
  bool any = false;
  double total_ms = 0;
  while (!rest.empty()) {
    if (rest.front() == 'T') {
      if (in_time) return bad;
      in_time = true;
      rest.remove_prefix(1);
      continue;
    }
    size_t digits = 0;
    while (digits < rest.size() &&
           ((rest[digits] >= '0' && rest[digits] <= '9') || rest[digits] == '.')) {
      ++digits;
    }
    if (digits == 0 || digits == rest.size()) return bad;
    double value = 0;
    try {
      value = std::stod(std::string(rest.substr(0, digits)));
    } catch (...) {
      return bad;
    }
    const char unit = rest[digits];
    rest.remove_prefix(digits + 1);
    if (!in_time && unit == 'D') {
      total_ms += value * 86'400'000;
    } else if (in_time && unit == 'H') {
      total_ms += value * 3'600'000;
    } else if (in_time && unit == 'M') {
      total_ms += value * 60'000;
    } else if (in_time && unit == 'S') {
      total_ms += value * 1'000;
    } else {
      return bad;
    }
    any = true;
  }
  if (!any) return bad;
  return static_cast<Timestamp>(total_ms);
}

}  // namespace runnel::tools
