#pragma once

#include <array>

namespace runnel::examples {

// A city the example generators place cards and transactions in.
struct City {
  const char* name;
  double latitude;
  double longitude;
};

// Ten European capitals and large cities; every pair is more than 200 km apart.
inline constexpr std::array<City, 10> kCities = {{
    {"Berlin", 52.52, 13.40},
    {"Paris", 48.86, 2.35},
    {"Madrid", 40.42, -3.70},
    {"Rome", 41.90, 12.50},
    {"Warsaw", 52.23, 21.01},
    {"Lisbon", 38.72, -9.14},
    {"Vienna", 48.21, 16.37},
    {"Amsterdam", 52.37, 4.90},
    {"Stockholm", 59.33, 18.07},
    {"Athens", 37.98, 23.73},
}};

}  // namespace runnel::examples
