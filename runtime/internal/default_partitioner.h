#pragma once

#include <cstdint>

#include "core/bytes.h"

namespace runnel::internal {

// Kafka's murmur2 hash (org.apache.kafka.common.utils.Utils.murmur2), so that Runnel puts a
// key in the same partition a Java producer would.
std::int32_t murmur2(BytesView data);

// The partition Kafka's default partitioner gives a keyed record: toPositive(murmur2(key)) %
// partitions. `partitions` must be positive.
std::int32_t default_partition(BytesView key, std::int32_t partitions);

}  // namespace runnel::internal
