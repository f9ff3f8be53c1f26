#pragma once

#include <cstdint>

namespace runnel::examples::fraud {

// The thresholds of the three rules, shared by the detector, the generator (which injects
// incidents that clearly cross them and keeps normal traffic far below) and the reference
// model the tests check the detector against.

// Velocity: more than kVelocityLimit transactions of one card in a hopping window of
// kVelocityWindowMs advancing by kVelocityAdvanceMs.
inline constexpr std::int64_t kVelocityWindowMs = 60'000;
inline constexpr std::int64_t kVelocityAdvanceMs = 10'000;
inline constexpr std::int64_t kVelocityLimit = 8;

// Amount spike: an amount above kSpikeFactor times the mean of the card's earlier
// transactions, once the card has at least kSpikeMinHistory of them.
inline constexpr double kSpikeFactor = 10.0;
inline constexpr std::int64_t kSpikeMinHistory = 5;

// Impossible travel: two transactions of one card at most kTravelWindowMs apart (either
// order) whose distance is above kTravelMinKm and needs more than kTravelMaxKmPerHour.
inline constexpr std::int64_t kTravelWindowMs = 10 * 60'000;
inline constexpr double kTravelMinKm = 500.0;
inline constexpr double kTravelMaxKmPerHour = 900.0;

// Great-circle distance in kilometres.
double distance_km(double latitude_a, double longitude_a, double latitude_b, double longitude_b);

// Whether two sightings of one card, `km` apart and `gap_ms` apart in time, are impossible.
bool impossible_travel(double km, std::int64_t gap_ms);

}  // namespace runnel::examples::fraud
