#pragma once

#include <cstdint>
#include <limits>
#include <string>

#include "operators/topology.h"

namespace runnel::examples::bank {

// Account balances derived from the event log, event sourcing's way: `events_topic`
// (account_id -> AccountEvent) is folded into the KTable "balances" (account_id -> Balance,
// a RocksDB store mirrored to its changelog), whose updates go to `balances_topic`. A
// transfer becomes two balance changes, one per account, so the changes are re-keyed and
// repartitioned before the fold.
//
// With `as_of_ms`, events stamped after it are ignored: run from offset 0 under a new
// application.id, this rebuilds every balance as it stood at that time.
Topology build_balances(const std::string& events_topic = "account-events",
                        const std::string& balances_topic = "balances",
                        std::int64_t as_of_ms = std::numeric_limits<std::int64_t>::max());

}  // namespace runnel::examples::bank
