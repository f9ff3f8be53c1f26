#pragma once

#include <cstdint>

#include "broker/handlers/access.h"
#include "broker/handlers/broker_context.h"
#include "broker/handlers/handler.h"
#include "broker/protocol/generated/describe_log_dirs_request.h"
#include "broker/protocol/generated/describe_log_dirs_response.h"

namespace runnel::broker {

// DescribeLogDirs (KIP-113): runneld keeps every partition in one directory, its data
// directory, so the answer is that one directory with the size of each requested partition
// (null topics: every partition), offset lag 0 (the partition's only replica) and never a
// future replica; v4+ the file system's total and usable bytes. Partitions that do not exist
// are left out, as Kafka does. Needs DESCRIBE on the cluster: otherwise no directory, and
// from v3 the top-level CLUSTER_AUTHORIZATION_FAILED.
DescribeLogDirsResponse handle_describe_log_dirs(BrokerContext& context, const Access& access,
                                                 const DescribeLogDirsRequest& request,
                                                 int16_t version);

// DescribeLogDirs as runneld serves it (why these versions: handlers.h).
using DescribeLogDirsHandler =
    ImmediateHandler<DescribeLogDirsRequest, 0, 4, handle_describe_log_dirs>;

}  // namespace runnel::broker
