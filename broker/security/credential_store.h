#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "broker/security/scram.h"
#include "core/result.h"

namespace runnel::broker {

// The broker's SCRAM users: per user name and mechanism, a ScramCredential (salt,
// iterations, StoredKey, ServerKey), never a password. Kept in memory and persisted to
// `<data_dir>/scram-credentials` on every change (written to a temporary file, fsynced,
// renamed over the old one, and the directory fsynced): after a crash the file holds either
// the old users or the new ones, never a mix.
//
// Thread-safe: SASL exchanges on every connection read it while AlterUserScramCredentials
// changes it.
class CredentialStore {
 public:
  static constexpr const char* kFileName = "scram-credentials";

  // Loads the users persisted in `data_dir` (none if the file does not exist yet).
  // corruption_error naming the file and line when it does not parse.
  [[nodiscard]] static Result<std::unique_ptr<CredentialStore>> open(
      const std::filesystem::path& data_dir);

  std::optional<ScramCredential> find(std::string_view user, ScramMechanism mechanism) const;

  // Adds or replaces `user`'s credential for `mechanism`, then persists. On an I/O error
  // the store is unchanged.
  [[nodiscard]] Status upsert(std::string_view user, ScramMechanism mechanism,
                              ScramCredential credential);
  // not_found_error when `user` has no credential for `mechanism`; otherwise removes it and
  // persists (a user with no credential left is gone).
  [[nodiscard]] Status remove(std::string_view user, ScramMechanism mechanism);

  // Every user and, per user, the mechanisms it has a credential for with their iteration
  // counts, sorted by name.
  struct UserInfo {
    std::string name;
    std::vector<std::pair<ScramMechanism, int32_t>> mechanisms;
  };
  std::vector<UserInfo> list() const;
  std::optional<UserInfo> describe(std::string_view user) const;

  // SASL/PLAIN's check: true when `password`, salted with the user's stored salt and
  // iterations, gives the stored key of its SCRAM-SHA-256 or SCRAM-SHA-512 credential. The
  // comparison is constant-time; an unknown user costs as much as a known one.
  bool verify_password(std::string_view user, std::string_view password) const;

 private:
  explicit CredentialStore(std::filesystem::path path) : path_(std::move(path)) {}
  using Users = std::map<std::string, std::map<ScramMechanism, ScramCredential>, std::less<>>;
  Status persist(const Users& users) const;

  const std::filesystem::path path_;
  mutable std::mutex mutex_;
  Users users_;  // guarded by mutex_
};

}  // namespace runnel::broker
