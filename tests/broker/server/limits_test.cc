// The broker-wide bounds on its own: the request memory pool and the connection limits.
#include <atomic>

#include <gtest/gtest.h>

#include "broker/server/connection_limits.h"
#include "broker/server/request_memory_pool.h"

namespace runnel::broker {
namespace {

constexpr int64_t kMebibyte = 1 << 20;

TEST(RequestMemoryPoolTest, ReservationsWithinTheCapacityAreGrantedAndReleased) {
  auto pool = RequestMemoryPool::create(256 * kMebibyte, 100 * kMebibyte);
  {
    auto lease = pool->reserve_or_wait(100 * kMebibyte, [] {});
    ASSERT_TRUE(lease.has_value());
    EXPECT_EQ(pool->reserved(), 100 * kMebibyte);
  }
  EXPECT_EQ(pool->reserved(), 0);
}

TEST(RequestMemoryPoolTest, AReservationThatDoesNotFitWaitsAndIsWokenOnRelease) {
  auto pool = RequestMemoryPool::create(200 * kMebibyte, 100 * kMebibyte);
  auto first = pool->reserve_or_wait(100 * kMebibyte, [] {});
  ASSERT_TRUE(first.has_value());
  std::atomic<int> woken{0};
  EXPECT_FALSE(pool->reserve_or_wait(100 * kMebibyte, [&] { ++woken; }).has_value());
  EXPECT_EQ(woken, 0);
  first->release();
  EXPECT_EQ(woken, 1);
  EXPECT_TRUE(pool->reserve_or_wait(100 * kMebibyte, [] {}).has_value());
}

TEST(RequestMemoryPoolTest, LargeRequestsLeaveTheSmallRequestReserveFree) {
  auto pool = RequestMemoryPool::create(116 * kMebibyte, 100 * kMebibyte);
  EXPECT_EQ(pool->small_request_reserve(), 16 * kMebibyte);
  auto large = pool->reserve_or_wait(100 * kMebibyte, [] {});
  ASSERT_TRUE(large.has_value());
  // Another large request may not take the reserve...
  EXPECT_FALSE(pool->reserve_or_wait(RequestMemoryPool::kSmallRequestBytes + 1, [] {}).has_value());
  // ... small ones may, up to the capacity.
  std::vector<RequestMemoryPool::Lease> small;
  for (int i = 0; i < 256; ++i) {
    auto lease = pool->reserve_or_wait(RequestMemoryPool::kSmallRequestBytes, [] {});
    ASSERT_TRUE(lease.has_value()) << i;
    small.push_back(std::move(*lease));
  }
  EXPECT_FALSE(pool->reserve_or_wait(100, [] {}).has_value());
  EXPECT_EQ(pool->peak_reserved(), 116 * kMebibyte);
}

TEST(ConnectionLimitsTest, ConnectionsFromOneAddressOverItsLimitAreRefusedUntilOneCloses) {
  auto limits = ConnectionLimits::create(100, 2, {});
  auto a = limits->admit("10.0.0.1");
  auto b = limits->admit("10.0.0.1");
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  auto refused = limits->admit("10.0.0.1");
  EXPECT_EQ(refused.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(refused.status().message().find("max.connections.per.ip"), std::string::npos);
  EXPECT_TRUE(limits->admit("10.0.0.2").ok());  // another address is not affected
  a->release();
  EXPECT_TRUE(limits->admit("10.0.0.1").ok());
}

TEST(ConnectionLimitsTest, TheBrokerWideLimitCountsEveryAddress) {
  auto limits = ConnectionLimits::create(2, 100, {});
  auto a = limits->admit("10.0.0.1");
  auto b = limits->admit("10.0.0.2");
  auto refused = limits->admit("10.0.0.3");
  EXPECT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("max.connections"), std::string::npos);
  EXPECT_EQ(limits->open_connections(), 2);
}

TEST(ConnectionLimitsTest, AnOverrideGivesOneAddressItsOwnLimit) {
  auto overrides = ConnectionLimits::parse_overrides("127.0.0.1:3, ::1:0");
  ASSERT_TRUE(overrides.ok()) << overrides.status().to_string();
  EXPECT_EQ(overrides->at("127.0.0.1"), 3);
  EXPECT_EQ(overrides->at("::1"), 0);
  auto limits = ConnectionLimits::create(100, 1, *overrides);
  std::vector<ConnectionLimits::Ticket> tickets;
  for (int i = 0; i < 3; ++i) {
    auto ticket = limits->admit("127.0.0.1");
    ASSERT_TRUE(ticket.ok());
    tickets.push_back(std::move(ticket).value());
  }
  EXPECT_FALSE(limits->admit("127.0.0.1").ok());
  EXPECT_FALSE(limits->admit("::1").ok());
}

TEST(ConnectionLimitsTest, MalformedOverridesAreRejected) {
  EXPECT_FALSE(ConnectionLimits::parse_overrides("127.0.0.1").ok());
  EXPECT_FALSE(ConnectionLimits::parse_overrides("127.0.0.1:many").ok());
  EXPECT_TRUE(ConnectionLimits::parse_overrides("").ok());
}

}  // namespace
}  // namespace runnel::broker
