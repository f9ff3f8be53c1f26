#include "broker/security/authorizer.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include <gtest/gtest.h>

namespace runnel::broker {
namespace {

constexpr const char* kAlice = "User:alice";
constexpr const char* kBob = "User:bob";
constexpr const char* kHost = "10.0.0.1";

AclBinding acl(ResourceType type, std::string name, AclOperation operation,
               AclPermission permission = AclPermission::kAllow, std::string principal = kAlice,
               PatternType pattern = PatternType::kLiteral, std::string host = "*") {
  return AclBinding{.resource_type = type,
                    .resource_name = std::move(name),
                    .pattern_type = pattern,
                    .principal = std::move(principal),
                    .host = std::move(host),
                    .operation = operation,
                    .permission = permission};
}

class AuthorizerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("runnel-authorizer-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    reopen();
  }
  void TearDown() override {
    authorizer_.reset();
    std::filesystem::remove_all(dir_);
  }

  void reopen(AuthorizerOptions options = {}) {
    authorizer_.reset();
    auto opened = Authorizer::open(dir_, std::move(options));
    ASSERT_TRUE(opened.ok()) << opened.status().to_string();
    authorizer_ = std::move(opened.value());
  }

  void add(const AclBinding& binding) { ASSERT_TRUE(authorizer_->add({binding}).ok()); }

  bool alice_may(AclOperation operation, ResourceType type, std::string_view name) {
    return authorizer_->authorize(kAlice, kHost, operation, type, name);
  }

  std::filesystem::path dir_;
  std::unique_ptr<Authorizer> authorizer_;
};

TEST_F(AuthorizerTest, NoAclRefusesByDefault) {
  EXPECT_FALSE(alice_may(AclOperation::kRead, ResourceType::kTopic, "orders"));
  EXPECT_FALSE(alice_may(AclOperation::kAlter, ResourceType::kCluster, "kafka-cluster"));
}

TEST_F(AuthorizerTest, LiteralAllowGrantsThatOperationOnThatTopicOnly) {
  add(acl(ResourceType::kTopic, "orders", AclOperation::kWrite));
  EXPECT_TRUE(alice_may(AclOperation::kWrite, ResourceType::kTopic, "orders"));
  EXPECT_FALSE(alice_may(AclOperation::kRead, ResourceType::kTopic, "orders"));
  EXPECT_FALSE(alice_may(AclOperation::kWrite, ResourceType::kTopic, "orders2"));
  EXPECT_FALSE(alice_may(AclOperation::kWrite, ResourceType::kGroup, "orders"));
  EXPECT_FALSE(
      authorizer_->authorize(kBob, kHost, AclOperation::kWrite, ResourceType::kTopic, "orders"));
}

TEST_F(AuthorizerTest, DenyWinsOverAllow) {
  add(acl(ResourceType::kTopic, "*", AclOperation::kAll));
  add(acl(ResourceType::kTopic, "secret", AclOperation::kRead, AclPermission::kDeny));
  EXPECT_TRUE(alice_may(AclOperation::kRead, ResourceType::kTopic, "orders"));
  EXPECT_FALSE(alice_may(AclOperation::kRead, ResourceType::kTopic, "secret"));
  // A DENY READ denies READ only: the ALLOW ALL still lets alice write and see the topic.
  EXPECT_TRUE(alice_may(AclOperation::kWrite, ResourceType::kTopic, "secret"));
  EXPECT_TRUE(alice_may(AclOperation::kDescribe, ResourceType::kTopic, "secret"));
}

TEST_F(AuthorizerTest, DenyAllOnWildcardPrincipalDeniesEveryone) {
  add(acl(ResourceType::kTopic, "orders", AclOperation::kAll));
  add(acl(ResourceType::kTopic, "orders", AclOperation::kAll, AclPermission::kDeny, "User:*"));
  EXPECT_FALSE(alice_may(AclOperation::kRead, ResourceType::kTopic, "orders"));
}

TEST_F(AuthorizerTest, ReadWriteDeleteAndAlterImplyDescribe) {
  add(acl(ResourceType::kTopic, "r", AclOperation::kRead));
  add(acl(ResourceType::kTopic, "w", AclOperation::kWrite));
  add(acl(ResourceType::kTopic, "d", AclOperation::kDelete));
  add(acl(ResourceType::kTopic, "a", AclOperation::kAlter));
  add(acl(ResourceType::kTopic, "c", AclOperation::kCreate));
  for (const char* topic : {"r", "w", "d", "a"}) {
    EXPECT_TRUE(alice_may(AclOperation::kDescribe, ResourceType::kTopic, topic)) << topic;
  }
  EXPECT_FALSE(alice_may(AclOperation::kDescribe, ResourceType::kTopic, "c"));
  // Describe does not imply anything back.
  add(acl(ResourceType::kGroup, "g", AclOperation::kDescribe));
  EXPECT_FALSE(alice_may(AclOperation::kRead, ResourceType::kGroup, "g"));
}

TEST_F(AuthorizerTest, AlterConfigsImpliesDescribeConfigs) {
  add(acl(ResourceType::kTopic, "t", AclOperation::kAlterConfigs));
  EXPECT_TRUE(alice_may(AclOperation::kDescribeConfigs, ResourceType::kTopic, "t"));
  EXPECT_FALSE(alice_may(AclOperation::kDescribe, ResourceType::kTopic, "t"));
}

TEST_F(AuthorizerTest, PrefixedAclCoversNamesStartingWithThePrefix) {
  add(acl(ResourceType::kTopic, "payments-", AclOperation::kRead, AclPermission::kAllow, kAlice,
          PatternType::kPrefixed));
  EXPECT_TRUE(alice_may(AclOperation::kRead, ResourceType::kTopic, "payments-eu"));
  EXPECT_TRUE(alice_may(AclOperation::kRead, ResourceType::kTopic, "payments-"));
  EXPECT_FALSE(alice_may(AclOperation::kRead, ResourceType::kTopic, "payment"));
  EXPECT_FALSE(alice_may(AclOperation::kRead, ResourceType::kTopic, "orders"));
}

TEST_F(AuthorizerTest, WildcardPrincipalAndHostMatchEveryCaller) {
  add(acl(ResourceType::kGroup, "g", AclOperation::kRead, AclPermission::kAllow, "User:*"));
  EXPECT_TRUE(
      authorizer_->authorize(kBob, "192.168.1.9", AclOperation::kRead, ResourceType::kGroup, "g"));
}

TEST_F(AuthorizerTest, HostRestrictedAclAppliesFromThatHostOnly) {
  add(acl(ResourceType::kTopic, "t", AclOperation::kRead, AclPermission::kAllow, kAlice,
          PatternType::kLiteral, kHost));
  EXPECT_TRUE(
      authorizer_->authorize(kAlice, kHost, AclOperation::kRead, ResourceType::kTopic, "t"));
  EXPECT_FALSE(
      authorizer_->authorize(kAlice, "10.0.0.2", AclOperation::kRead, ResourceType::kTopic, "t"));
}

TEST_F(AuthorizerTest, SuperUsersMayDoEverythingEvenWhenDenied) {
  reopen(AuthorizerOptions{.super_users = parse_super_users("User:admin; User:bob")});
  add(acl(ResourceType::kTopic, "t", AclOperation::kAll, AclPermission::kDeny, "User:*"));
  EXPECT_TRUE(authorizer_->authorize("User:admin", kHost, AclOperation::kDelete,
                                     ResourceType::kTopic, "t"));
  EXPECT_TRUE(authorizer_->authorize(kBob, kHost, AclOperation::kAlter, ResourceType::kCluster,
                                     "kafka-cluster"));
  EXPECT_FALSE(alice_may(AclOperation::kRead, ResourceType::kTopic, "t"));
}

TEST_F(AuthorizerTest, AllowEveryoneIfNoAclFoundOpensOnlyResourcesWithoutAcls) {
  reopen(AuthorizerOptions{.allow_everyone_if_no_acl_found = true});
  add(acl(ResourceType::kTopic, "guarded", AclOperation::kRead, AclPermission::kAllow, kBob));
  EXPECT_TRUE(alice_may(AclOperation::kWrite, ResourceType::kTopic, "open"));
  // An ACL exists on "guarded" (for bob): alice is not allowed there any more.
  EXPECT_FALSE(alice_may(AclOperation::kRead, ResourceType::kTopic, "guarded"));
}

TEST_F(AuthorizerTest, AuthorizeAnyFindsAnAllowedTopicUnlessDenied) {
  EXPECT_FALSE(
      authorizer_->authorize_any(kAlice, kHost, AclOperation::kWrite, ResourceType::kTopic));
  add(acl(ResourceType::kTopic, "logs-", AclOperation::kWrite, AclPermission::kAllow, kAlice,
          PatternType::kPrefixed));
  EXPECT_TRUE(
      authorizer_->authorize_any(kAlice, kHost, AclOperation::kWrite, ResourceType::kTopic));
  add(acl(ResourceType::kTopic, "logs", AclOperation::kWrite, AclPermission::kDeny, kAlice,
          PatternType::kPrefixed));
  EXPECT_FALSE(
      authorizer_->authorize_any(kAlice, kHost, AclOperation::kWrite, ResourceType::kTopic));
}

TEST_F(AuthorizerTest, AclsSurviveReopen) {
  add(acl(ResourceType::kTopic, "orders", AclOperation::kWrite));
  add(acl(ResourceType::kGroup, "app-", AclOperation::kRead, AclPermission::kDeny, kBob,
          PatternType::kPrefixed, kHost));
  reopen();
  EXPECT_TRUE(alice_may(AclOperation::kWrite, ResourceType::kTopic, "orders"));
  const auto all = authorizer_->list(AclBindingFilter{});
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[1], acl(ResourceType::kGroup, "app-", AclOperation::kRead, AclPermission::kDeny,
                        kBob, PatternType::kPrefixed, kHost));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "acls.meta.tmp"));
}

TEST_F(AuthorizerTest, RemovedAclsStayRemovedAfterReopen) {
  add(acl(ResourceType::kTopic, "a", AclOperation::kRead));
  add(acl(ResourceType::kTopic, "b", AclOperation::kRead));
  auto removed = authorizer_->remove({AclBindingFilter{.resource_name = "a"}});
  ASSERT_TRUE(removed.ok());
  ASSERT_EQ(removed.value().size(), 1u);
  EXPECT_EQ(removed.value()[0].size(), 1u);
  reopen();
  EXPECT_FALSE(alice_may(AclOperation::kRead, ResourceType::kTopic, "a"));
  EXPECT_TRUE(alice_may(AclOperation::kRead, ResourceType::kTopic, "b"));
}

TEST_F(AuthorizerTest, AddingTheSameAclTwiceStoresItOnce) {
  add(acl(ResourceType::kTopic, "a", AclOperation::kRead));
  add(acl(ResourceType::kTopic, "a", AclOperation::kRead));
  EXPECT_EQ(authorizer_->list(AclBindingFilter{}).size(), 1u);
}

TEST_F(AuthorizerTest, AGarbledAclFileIsReportedNotIgnored) {
  authorizer_.reset();
  std::ofstream(dir_ / "acls.meta") << "\xff\xff\xff not a protobuf";
  EXPECT_FALSE(Authorizer::open(dir_, {}).ok());
}

TEST_F(AuthorizerTest, ASecondAuthorizerOnTheSameDirectoryIsRefusedUntilTheFirstCloses) {
  EXPECT_FALSE(Authorizer::open(dir_, {}).ok());
  authorizer_.reset();
  EXPECT_TRUE(Authorizer::open(dir_, {}).ok());
}

TEST(AclBindingFilterTest, MatchSelectsEveryAclThatAppliesToTheName) {
  const AclBinding literal = acl(ResourceType::kTopic, "payments-eu", AclOperation::kRead);
  const AclBinding wildcard = acl(ResourceType::kTopic, "*", AclOperation::kRead);
  const AclBinding prefixed = acl(ResourceType::kTopic, "payments-", AclOperation::kRead,
                                  AclPermission::kAllow, kAlice, PatternType::kPrefixed);
  const AclBinding other = acl(ResourceType::kTopic, "orders", AclOperation::kRead);
  const AclBindingFilter match{.resource_type = ResourceType::kTopic,
                               .resource_name = "payments-eu",
                               .pattern_type = PatternType::kMatch};
  EXPECT_TRUE(match.matches(literal));
  EXPECT_TRUE(match.matches(wildcard));
  EXPECT_TRUE(match.matches(prefixed));
  EXPECT_FALSE(match.matches(other));
  // LITERAL selects exactly the stored pattern.
  const AclBindingFilter exact{.resource_type = ResourceType::kTopic,
                               .resource_name = "payments-eu",
                               .pattern_type = PatternType::kLiteral};
  EXPECT_TRUE(exact.matches(literal));
  EXPECT_FALSE(exact.matches(wildcard));
  EXPECT_FALSE(exact.matches(prefixed));
}

TEST(AclBindingFilterTest, PrincipalOperationAndPermissionNarrowTheSelection) {
  const AclBinding binding = acl(ResourceType::kGroup, "g", AclOperation::kRead);
  EXPECT_TRUE(AclBindingFilter{.principal = kAlice}.matches(binding));
  EXPECT_FALSE(AclBindingFilter{.principal = kBob}.matches(binding));
  EXPECT_FALSE(AclBindingFilter{.operation = AclOperation::kWrite}.matches(binding));
  EXPECT_FALSE(AclBindingFilter{.permission = AclPermission::kDeny}.matches(binding));
  EXPECT_FALSE(AclBindingFilter{.resource_type = ResourceType::kTopic}.matches(binding));
}

TEST(AclBindingTest, InvalidBindingsAreExplained) {
  EXPECT_FALSE(invalid_binding_reason(acl(ResourceType::kTopic, "t", AclOperation::kRead)));
  EXPECT_TRUE(invalid_binding_reason(acl(ResourceType::kAny, "t", AclOperation::kRead)));
  EXPECT_TRUE(invalid_binding_reason(acl(ResourceType::kTopic, "t", AclOperation::kAny)));
  EXPECT_TRUE(invalid_binding_reason(
      acl(ResourceType::kTopic, "t", AclOperation::kRead, AclPermission::kAllow, "alice")));
  EXPECT_TRUE(invalid_binding_reason(acl(ResourceType::kCluster, "other", AclOperation::kAlter)));
  EXPECT_FALSE(
      invalid_binding_reason(acl(ResourceType::kCluster, "kafka-cluster", AclOperation::kAlter)));
}

TEST(AclNamesTest, KafkaAclsSpellingsParse) {
  EXPECT_EQ(parse_operation("DescribeConfigs"), AclOperation::kDescribeConfigs);
  EXPECT_EQ(parse_operation("idempotent-write"), AclOperation::kIdempotentWrite);
  EXPECT_EQ(parse_operation("All"), AclOperation::kAll);
  EXPECT_EQ(parse_operation("frobnicate"), AclOperation::kUnknown);
  EXPECT_EQ(parse_pattern_type("prefixed"), PatternType::kPrefixed);
  EXPECT_EQ(parse_resource_type("TransactionalId"), ResourceType::kTransactionalId);
  EXPECT_EQ(to_string(AclOperation::kClusterAction), "CLUSTER_ACTION");
}

}  // namespace
}  // namespace runnel::broker
