#include "broker/coordinator/producer_id_manager.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

#include "broker/coordinator/producer_ids.pb.h"
#include "core/durable_file.h"

namespace runnel::broker {
namespace {

constexpr const char* kFile = "producer_ids.meta";

}  // namespace

Result<std::unique_ptr<ProducerIdManager>> ProducerIdManager::open(std::filesystem::path data_dir) {
  std::unique_ptr<ProducerIdManager> manager(new ProducerIdManager(data_dir / kFile));
  std::error_code error;
  if (std::filesystem::exists(manager->path_, error)) {
    std::ifstream in(manager->path_, std::ios::binary);
    coordinator::ProducerIdBlock block;
    if (!block.ParseFromIstream(&in) || block.next_block_start() < 0) {
      return corruption_error(
          fmt::format("{} is not a producer id block", manager->path_.string()));
    }
    manager->next_ = block.next_block_start();
  }
  manager->block_end_ = manager->next_;  // nothing reserved by this process yet
  return manager;
}

Status ProducerIdManager::persist_block_end(int64_t block_end) {
  coordinator::ProducerIdBlock block;
  block.set_next_block_start(block_end);
  return replace_file_durably(path_, block.SerializeAsString());
}

Result<int64_t> ProducerIdManager::next_id() {
  std::lock_guard lock(mutex_);
  if (next_ >= block_end_) {
    RUNNEL_RETURN_IF_ERROR(persist_block_end(next_ + kBlockSize));
    block_end_ = next_ + kBlockSize;
  }
  return next_++;
}

}  // namespace runnel::broker
