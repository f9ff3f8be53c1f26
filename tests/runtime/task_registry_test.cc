// The registry that offers running tasks to interactive queries: availability, snapshots that
// notice every change, and removal that waits for a reader.

#include "runtime/internal/task_registry.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "core/serdes.h"
#include "operators/streams_builder.h"
#include "runtime/topology_test_driver.h"

namespace runnel {
namespace task_registry_test {

using S = std::string;
using internal::TaskRegistry;

class TaskRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StreamsBuilder builder;
    builder.stream<S, S>("in").group_by_key().count(Materialized<S, std::int64_t>::as("counts"));
    auto driver = TopologyTestDriver::create(builder.build());
    ASSERT_TRUE(driver.ok()) << driver.status();
    driver_ = std::move(*driver);
    auto in = driver_->create_input_topic<S, S>("in");
    ASSERT_TRUE(in.pipe_input("k", "v", 1).ok());
    task_ = driver_->task(0, 0);
    ASSERT_NE(task_, nullptr);
  }

  std::unique_ptr<TopologyTestDriver> driver_;
  StreamTask* task_ = nullptr;
};

TEST_F(TaskRegistryTest, NothingCanBeQueriedUntilTheApplicationSaysItIsAvailable) {
  TaskRegistry registry;
  EXPECT_EQ(registry.snapshot().status().code(), StatusCode::kUnavailable);
  registry.set_availability(ok_status());
  auto snapshot = registry.snapshot();
  ASSERT_TRUE(snapshot.ok());
  EXPECT_TRUE(snapshot->slots.empty());
  registry.set_availability(aborted_error("stopped"));
  EXPECT_EQ(registry.snapshot().status().code(), StatusCode::kAborted);
}

TEST_F(TaskRegistryTest, EveryChangeInvalidatesTheSnapshotsTakenBeforeIt) {
  TaskRegistry registry;
  registry.set_availability(ok_status());

  auto before_add = registry.snapshot();
  ASSERT_TRUE(before_add.ok());
  std::shared_ptr<internal::TaskSlot> slot = registry.add(*task_);
  EXPECT_EQ(slot->id, (TaskId{0, 0}));
  EXPECT_EQ(registry.validate(*before_add).code(), StatusCode::kUnavailable);

  auto with_task = registry.snapshot();
  ASSERT_TRUE(with_task.ok());
  ASSERT_EQ(with_task->slots.size(), 1u);
  EXPECT_EQ(with_task->slots[0], slot);
  EXPECT_TRUE(registry.validate(*with_task).ok());

  // Leaving RUNNING and coming back in between is noticed too (no ABA).
  registry.set_availability(unavailable_error("rebalancing"));
  registry.set_availability(ok_status());
  EXPECT_EQ(registry.validate(*with_task).code(), StatusCode::kUnavailable);

  auto again = registry.snapshot();
  ASSERT_TRUE(again.ok());
  registry.remove(slot);
  EXPECT_EQ(registry.validate(*again).code(), StatusCode::kUnavailable);
  EXPECT_EQ(slot->task, nullptr);
  auto after = registry.snapshot();
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->slots.empty());
}

TEST_F(TaskRegistryTest, RemovingATaskWaitsForTheReaderHoldingIt) {
  TaskRegistry registry;
  registry.set_availability(ok_status());
  std::shared_ptr<internal::TaskSlot> slot = registry.add(*task_);
  std::atomic<bool> removed{false};
  std::thread owner;
  {
    std::lock_guard reading(slot->mutex);
    owner = std::thread([&] {
      registry.remove(slot);
      removed.store(true);
    });
    // The owner cannot clear the slot while the reader holds it: the task stays readable.
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_FALSE(removed.load());
    EXPECT_EQ(slot->task, task_);
  }
  owner.join();
  EXPECT_TRUE(removed.load());
  std::lock_guard lock(slot->mutex);
  EXPECT_EQ(slot->task, nullptr);
}

}  // namespace task_registry_test
}  // namespace runnel
