#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "examples/fraud_detection/fraud.pb.h"
#include "examples/fraud_detection/fraud_scenario.h"

namespace runnel::examples::fraud {

// How a detector's alerts compare with the incidents a scenario injected, per rule.
struct RuleScore {
  std::int64_t incidents = 0;  // Injected.
  std::int64_t detected = 0;   // Incidents with at least one matching alert.
  std::int64_t alerts = 0;     // Raised.
  std::int64_t matched = 0;    // Alerts that belong to an incident.

  double recall() const { return incidents == 0 ? 1.0 : double(detected) / double(incidents); }
  double precision() const { return alerts == 0 ? 1.0 : double(matched) / double(alerts); }
};

// An alert belongs to an incident of its rule and card when its time lies within the
// incident's span extended by the rule's window (a window alert may be raised by the
// incident's last transaction; a travel alert by a normal transaction right after it).
std::map<Rule, RuleScore> evaluate(const std::vector<Incident>& incidents,
                                   const std::vector<Alert>& alerts);

// Whether two detectors raised the same alerts: the same (rule, card, time) triples, in any
// order. Evidence and holder fields are not compared.
bool same_alerts(const std::vector<Alert>& a, const std::vector<Alert>& b);

}  // namespace runnel::examples::fraud
