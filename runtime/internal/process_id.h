#pragma once

#include <filesystem>
#include <string>

#include "core/result.h"

namespace runnel::internal {

// The identity of a KafkaStreams instance, which names its threads' transactional.id and
// group.instance.id: a random UUID (version 4, "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx").
std::string random_process_id();

// The process id kept in `app_dir` (<state.dir>/<application.id>), in the file
// kafka-streams-process-metadata, as Kafka Streams keeps it ({"version":0,"processId":"…"}),
// made and written atomically (temp file, fsync, rename, fsync of the directory) when there is
// none. An instance that restarts on the same state directory is thus the same process: its
// threads keep their transactional.id (init_transactions aborts what the dead one left open)
// and their group.instance.id (the group hands back the partitions without a rebalance).
// The caller holds the directory's lock, so no other instance reads or writes it meanwhile.
// A file that does not parse is replaced by a new id (and logged); I/O errors fail.
[[nodiscard]] Result<std::string> load_or_create_process_id(const std::filesystem::path& app_dir);

inline constexpr const char* kProcessMetadataFileName = "kafka-streams-process-metadata";

}  // namespace runnel::internal
