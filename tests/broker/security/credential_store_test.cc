#include "broker/security/credential_store.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <sys/stat.h>

namespace runnel::broker {
namespace {

class CredentialStoreTest : public ::testing::Test {
 protected:
  CredentialStoreTest() {
    std::string pattern = "/tmp/runnel-credentials-test-XXXXXX";
    dir_ = ::mkdtemp(pattern.data());
  }
  ~CredentialStoreTest() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  std::unique_ptr<CredentialStore> open() {
    auto store = CredentialStore::open(dir_);
    EXPECT_TRUE(store.ok()) << store.status().to_string();
    return std::move(store).value();
  }
  std::string file_text() const {
    std::ifstream in(dir_ / CredentialStore::kFileName);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  static ScramCredential credential(ScramMechanism mechanism, std::string_view password) {
    const Bytes salt = std::move(secure_random_bytes(16)).value();
    return scram_credential_from_password(mechanism, password, salt.view(), 4096);
  }

  std::filesystem::path dir_;
};

TEST_F(CredentialStoreTest, UsersSurviveReopen) {
  const ScramCredential alice = credential(ScramMechanism::kSha256, "alice-secret");
  const ScramCredential bob = credential(ScramMechanism::kSha512, "bob-secret");
  {
    auto store = open();
    ASSERT_TRUE(store->upsert("alice", ScramMechanism::kSha256, alice).ok());
    ASSERT_TRUE(store->upsert("bob, the =builder", ScramMechanism::kSha512, bob).ok());
  }
  auto store = open();
  EXPECT_EQ(store->find("alice", ScramMechanism::kSha256), alice);
  EXPECT_EQ(store->find("bob, the =builder", ScramMechanism::kSha512), bob);
  EXPECT_FALSE(store->find("alice", ScramMechanism::kSha512));
  ASSERT_EQ(store->list().size(), 2u);
  EXPECT_EQ(store->list()[0].name, "alice");
  EXPECT_TRUE(store->verify_password("alice", "alice-secret"));
  EXPECT_TRUE(store->verify_password("bob, the =builder", "bob-secret"));
  EXPECT_FALSE(store->verify_password("alice", "bob-secret"));
  EXPECT_FALSE(store->verify_password("carol", "alice-secret"));
}

TEST_F(CredentialStoreTest, FileHoldsNeitherPasswordNorSaltedPasswordAndOnlyOwnerReadsIt) {
  auto store = open();
  ASSERT_TRUE(
      store
          ->upsert("alice", ScramMechanism::kSha256, credential(ScramMechanism::kSha256, "hunter2"))
          .ok());
  const std::string text = file_text();
  EXPECT_EQ(text.find("hunter2"), std::string::npos);
  EXPECT_EQ(text.find(base64_encode(std::string_view("hunter2"))), std::string::npos);
  const ScramCredential stored = *store->find("alice", ScramMechanism::kSha256);
  const Bytes salted =
      scram_salted_password(ScramMechanism::kSha256, "hunter2", stored.salt.view(), 4096);
  EXPECT_EQ(text.find(base64_encode(salted.view())), std::string::npos);
  EXPECT_NE(text.find(base64_encode(stored.stored_key.view())), std::string::npos);
  struct stat info {};
  ASSERT_EQ(::stat((dir_ / CredentialStore::kFileName).c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0077, 0u);
  EXPECT_FALSE(std::filesystem::exists(dir_ / (std::string(CredentialStore::kFileName) + ".tmp")));
}

TEST_F(CredentialStoreTest, RemovedUserIsGoneAfterReopen) {
  {
    auto store = open();
    ASSERT_TRUE(
        store->upsert("alice", ScramMechanism::kSha256, credential(ScramMechanism::kSha256, "a"))
            .ok());
    ASSERT_TRUE(
        store->upsert("alice", ScramMechanism::kSha512, credential(ScramMechanism::kSha512, "a"))
            .ok());
    ASSERT_TRUE(store->remove("alice", ScramMechanism::kSha256).ok());
    EXPECT_EQ(store->remove("alice", ScramMechanism::kSha256).code(), StatusCode::kNotFound);
    ASSERT_TRUE(store->describe("alice"));
    EXPECT_EQ(store->describe("alice")->mechanisms.size(), 1u);
    ASSERT_TRUE(store->remove("alice", ScramMechanism::kSha512).ok());
  }
  auto store = open();
  EXPECT_FALSE(store->describe("alice"));
  EXPECT_TRUE(store->list().empty());
}

TEST_F(CredentialStoreTest, ReplacingACredentialInvalidatesTheOldPassword) {
  auto store = open();
  ASSERT_TRUE(
      store->upsert("alice", ScramMechanism::kSha256, credential(ScramMechanism::kSha256, "old"))
          .ok());
  ASSERT_TRUE(
      store->upsert("alice", ScramMechanism::kSha256, credential(ScramMechanism::kSha256, "new"))
          .ok());
  EXPECT_FALSE(store->verify_password("alice", "old"));
  EXPECT_TRUE(store->verify_password("alice", "new"));
}

TEST_F(CredentialStoreTest, DamagedFileIsReportedNotIgnored) {
  std::ofstream(dir_ / CredentialStore::kFileName) << "runnel-scram-credentials 1\nYWxpY2U= x\n";
  auto store = CredentialStore::open(dir_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kCorruption);
  EXPECT_NE(store.status().message().find("line 2"), std::string::npos);
}

}  // namespace
}  // namespace runnel::broker
