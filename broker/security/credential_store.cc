#include "broker/security/credential_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "core/durable_file.h"

namespace runnel::broker {
namespace {

// The file: a header line, then one line per user and mechanism, fields separated by single
// spaces: the user name (base64, since a name may hold any character), the mechanism, the
// iterations, and base64 salt, StoredKey and ServerKey.
constexpr std::string_view kHeader = "runnel-scram-credentials 1";

std::vector<std::string> split_spaces(const std::string& line) {
  std::vector<std::string> fields;
  std::istringstream in(line);
  std::string field;
  while (in >> field) fields.push_back(field);
  return fields;
}

}  // namespace

Result<std::unique_ptr<CredentialStore>> CredentialStore::open(
    const std::filesystem::path& data_dir) {
  std::unique_ptr<CredentialStore> store(new CredentialStore(data_dir / kFileName));
  std::error_code error;
  if (!std::filesystem::exists(store->path_, error)) return store;
  std::ifstream in(store->path_);
  if (!in) return io_error(fmt::format("cannot read {}", store->path_.string()));
  std::string line;
  if (!std::getline(in, line) || line != kHeader) {
    return corruption_error(
        fmt::format("{} is not a runnel SCRAM credential file", store->path_.string()));
  }
  int line_number = 1;
  while (std::getline(in, line)) {
    ++line_number;
    if (line.empty()) continue;
    const auto bad = [&] {
      return corruption_error(
          fmt::format("{} line {}: not a credential", store->path_.string(), line_number));
    };
    const std::vector<std::string> fields = split_spaces(line);
    if (fields.size() != 6) return bad();
    auto name = base64_decode(fields[0]);
    auto mechanism = scram_mechanism_from_name(fields[1]);
    auto salt = base64_decode(fields[3]);
    auto stored_key = base64_decode(fields[4]);
    auto server_key = base64_decode(fields[5]);
    int32_t iterations = 0;
    try {
      iterations = std::stoi(fields[2]);
    } catch (...) {
      return bad();
    }
    if (!name || !mechanism || !salt || !stored_key || !server_key || iterations <= 0) {
      return bad();
    }
    store->users_[name->to_string()][*mechanism] =
        ScramCredential{.salt = std::move(*salt),
                        .iterations = iterations,
                        .stored_key = std::move(*stored_key),
                        .server_key = std::move(*server_key)};
  }
  return store;
}

std::optional<ScramCredential> CredentialStore::find(std::string_view user,
                                                     ScramMechanism mechanism) const {
  std::lock_guard lock(mutex_);
  auto found = users_.find(user);
  if (found == users_.end()) return std::nullopt;
  auto credential = found->second.find(mechanism);
  if (credential == found->second.end()) return std::nullopt;
  return credential->second;
}

Status CredentialStore::upsert(std::string_view user, ScramMechanism mechanism,
                               ScramCredential credential) {
  std::lock_guard lock(mutex_);
  Users next = users_;
  next[std::string(user)][mechanism] = std::move(credential);
  RUNNEL_RETURN_IF_ERROR(persist(next));
  users_ = std::move(next);
  return ok_status();
}

Status CredentialStore::remove(std::string_view user, ScramMechanism mechanism) {
  std::lock_guard lock(mutex_);
  auto found = users_.find(user);
  if (found == users_.end() || !found->second.contains(mechanism)) {
    return not_found_error(
        fmt::format("user '{}' has no {} credential", user, scram_mechanism_name(mechanism)));
  }
  Users next = users_;
  auto entry = next.find(user);
  entry->second.erase(mechanism);
  if (entry->second.empty()) next.erase(entry);
  RUNNEL_RETURN_IF_ERROR(persist(next));
  users_ = std::move(next);
  return ok_status();
}

std::vector<CredentialStore::UserInfo> CredentialStore::list() const {
  std::lock_guard lock(mutex_);
  std::vector<UserInfo> users;
  for (const auto& [name, credentials] : users_) {
    UserInfo info{.name = name, .mechanisms = {}};
    for (const auto& [mechanism, credential] : credentials) {
      info.mechanisms.emplace_back(mechanism, credential.iterations);
    }
    users.push_back(std::move(info));
  }
  return users;
}

std::optional<CredentialStore::UserInfo> CredentialStore::describe(std::string_view user) const {
  std::lock_guard lock(mutex_);
  auto found = users_.find(user);
  if (found == users_.end()) return std::nullopt;
  UserInfo info{.name = found->first, .mechanisms = {}};
  for (const auto& [mechanism, credential] : found->second) {
    info.mechanisms.emplace_back(mechanism, credential.iterations);
  }
  return info;
}

bool CredentialStore::verify_password(std::string_view user, std::string_view password) const {
  for (ScramMechanism mechanism : {ScramMechanism::kSha256, ScramMechanism::kSha512}) {
    if (auto credential = find(user, mechanism)) {
      const ScramCredential derived = scram_credential_from_password(
          mechanism, password, credential->salt.view(), credential->iterations);
      return constant_time_equal(derived.stored_key.view(), credential->stored_key.view());
    }
  }
  // No such user: spend the same work as a check, so that the time of an answer does not
  // tell which user names exist.
  const Bytes salt(std::string_view("runnel-unknown-user-salt"));
  const ScramCredential derived = scram_credential_from_password(ScramMechanism::kSha256, password,
                                                                 salt.view(), kScramMinIterations);
  (void)derived;
  return false;
}

Status CredentialStore::persist(const Users& users) const {
  std::string text(kHeader);
  text += '\n';
  for (const auto& [name, credentials] : users) {
    for (const auto& [mechanism, credential] : credentials) {
      text += fmt::format("{} {} {} {} {} {}\n", base64_encode(std::string_view(name)),
                          scram_mechanism_name(mechanism), credential.iterations,
                          base64_encode(credential.salt.view()),
                          base64_encode(credential.stored_key.view()),
                          base64_encode(credential.server_key.view()));
    }
  }
  // Owner-only: the keys are not passwords, but they let anyone who reads them attempt an
  // offline dictionary attack.
  return replace_file_durably(path_, text, 0600);
}

}  // namespace runnel::broker
