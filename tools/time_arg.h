#pragma once

#include <string_view>

#include "core/result.h"
#include "core/timestamp.h"

namespace runnel::tools {

// A point in time as users write it on a command line: milliseconds since the epoch
// ("1767225600000"), an ISO 8601 UTC date-time ("2026-01-01T00:00:00Z",
// "2026-01-01T00:00:00.250Z"), or a time before `now` (epoch ms; default the wall clock):
// a minus sign and amounts with units d, h, m, s or ms ("-1h", "-15m", "-30s", "-2d",
// "-1h30m"). Anything else is an invalid_argument naming the text.
Result<Timestamp> parse_time_point(std::string_view text);
Result<Timestamp> parse_time_point(std::string_view text, Timestamp now);

// An ISO 8601 duration of days, hours, minutes and seconds ("PT1H", "P1DT12H", "PT0.5S"),
// in milliseconds, as Kafka's application reset tool takes for --by-duration.
Result<Timestamp> parse_duration(std::string_view text);

}  // namespace runnel::tools
