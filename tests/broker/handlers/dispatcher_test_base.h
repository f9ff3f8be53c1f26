#pragma once

// The request path of one runneld without its network, for tests that hand frames to
// RequestDispatcher: its stores, coordinators and dispatcher over a fresh data directory, and
// an io_context thread for the handlers that answer later (JoinGroup, a long-polling Fetch).

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "broker/coordinator/group_coordinator.h"
#include "broker/coordinator/offset_store.h"
#include "broker/coordinator/producer_id_manager.h"
#include "broker/coordinator/transaction_coordinator.h"
#include "broker/handlers/append_notifier.h"
#include "broker/handlers/broker_context.h"
#include "broker/handlers/request_dispatcher.h"
#include "broker/security/authorizer.h"
#include "broker/security/credential_store.h"
#include "broker/storage/log_manager.h"
#include "core/clock.h"

namespace runnel::broker::testing {

class DispatcherTestBase : public ::testing::Test {
 protected:
  // Opens the broker in a new directory named after `name` (and the process), with
  // `num_partitions` for topics created without a count.
  void open_broker(const std::string& name, int32_t num_partitions) {
    data_dir_ = std::filesystem::temp_directory_path() /
                ("runnel-" + name + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(data_dir_);
    config_.data_dir = data_dir_;
    config_.num_partitions = num_partitions;
    logs_ = std::move(LogManager::open(data_dir_, TopicConfig{}, clock_).value());
    offsets_ = std::move(OffsetStore::open(*logs_, clock_).value());
    groups_ = std::make_unique<GroupCoordinator>(*offsets_, clock_);
    producer_ids_ = std::move(ProducerIdManager::open(data_dir_).value());
    transactions_ =
        std::move(TransactionCoordinator::open(*logs_, *offsets_, *producer_ids_, clock_).value());
    credentials_ = std::move(CredentialStore::open(data_dir_).value());
    context_ = std::make_unique<BrokerContext>(BrokerContext{
        .logs = *logs_,
        .appends = appends_,
        .groups = *groups_,
        .offsets = *offsets_,
        .producer_ids = *producer_ids_,
        .transactions = *transactions_,
        .credentials = *credentials_,
        .clock = clock_,
        .config = config_,
        .identity =
            BrokerIdentity{.node_id = 0, .host = "127.0.0.1", .port = 9092, .cluster_id = "test"},
    });
    dispatcher_ = std::make_unique<RequestDispatcher>(*context_);
    io_thread_ = std::thread([this] { io_.run(); });
  }

  void TearDown() override {
    appends_.shut_down();
    work_.reset();
    if (io_thread_.joinable()) io_thread_.join();
    dispatcher_.reset();
    context_.reset();
    transactions_.reset();
    groups_.reset();
    offsets_.reset();
    logs_.reset();
    std::filesystem::remove_all(data_dir_);
  }

  std::filesystem::path data_dir_;
  ManualClock clock_;
  BrokerConfig config_;
  std::unique_ptr<LogManager> logs_;
  std::unique_ptr<OffsetStore> offsets_;
  std::unique_ptr<GroupCoordinator> groups_;
  std::unique_ptr<ProducerIdManager> producer_ids_;
  std::unique_ptr<TransactionCoordinator> transactions_;
  std::unique_ptr<Authorizer> authorizer_;  // set by tests of authorization
  std::unique_ptr<CredentialStore> credentials_;
  AppendNotifier appends_;
  std::unique_ptr<BrokerContext> context_;
  std::unique_ptr<RequestDispatcher> dispatcher_;
  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_{
      io_.get_executor()};
  std::thread io_thread_;
};

}  // namespace runnel::broker::testing
