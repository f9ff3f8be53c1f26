#pragma once

// Helpers shared by the coordinator tests: a broker data directory with its LogManager and
// OffsetStore, and a ManualClock.

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "broker/coordinator/offset_store.h"
#include "broker/storage/log_manager.h"
#include "core/clock.h"

namespace runnel::broker::testing {

class OffsetsFixture : public ::testing::Test {
 protected:
  OffsetsFixture() {
    std::string pattern = "/tmp/runnel-coordinator-test-XXXXXX";
    dir_ = ::mkdtemp(pattern.data());
    open();
  }
  ~OffsetsFixture() override {
    offsets_.reset();
    logs_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  // (Re)opens the data directory as a restarted broker would.
  void open() {
    offsets_.reset();
    logs_.reset();
    auto logs = LogManager::open(dir_ / "data", TopicConfig{}, clock_);
    ASSERT_TRUE(logs.ok()) << logs.status().to_string();
    logs_ = std::move(logs).value();
    auto offsets = OffsetStore::open(*logs_, clock_);
    ASSERT_TRUE(offsets.ok()) << offsets.status().to_string();
    offsets_ = std::move(offsets).value();
  }

  std::filesystem::path dir_;
  ManualClock clock_;
  std::unique_ptr<LogManager> logs_;
  std::unique_ptr<OffsetStore> offsets_;
};

}  // namespace runnel::broker::testing
