#include "examples/fraud_detection/fraud_rules.h"

#include <cmath>
#include <cstdlib>

namespace runnel::examples::fraud {

double distance_km(double latitude_a, double longitude_a, double latitude_b, double longitude_b) {
  constexpr double kEarthRadiusKm = 6371.0;
  constexpr double kRadians = M_PI / 180.0;
  const double d_lat = (latitude_b - latitude_a) * kRadians;
  const double d_lon = (longitude_b - longitude_a) * kRadians;
  const double a = std::sin(d_lat / 2) * std::sin(d_lat / 2) +
                   std::cos(latitude_a * kRadians) * std::cos(latitude_b * kRadians) *
                       std::sin(d_lon / 2) * std::sin(d_lon / 2);
  return 2 * kEarthRadiusKm * std::asin(std::sqrt(std::min(1.0, a)));
}

bool impossible_travel(double km, std::int64_t gap_ms) {
  if (km <= kTravelMinKm || std::llabs(gap_ms) > kTravelWindowMs) return false;
  const double hours = static_cast<double>(std::llabs(gap_ms)) / 3'600'000.0;
  return hours == 0 || km / hours > kTravelMaxKmPerHour;
}

}  // namespace runnel::examples::fraud
