// libFuzzer target: the SASL state machine behind the connection layer. An arbitrary byte
// stream is cut into frames by a FrameAssembler, as a connection reads them, and every frame
// is handed to a SASL server as the client's next token: the path of SaslHandshake v0, where
// tokens travel as bare frames (SaslAuthenticate carries the same bytes inside a request).
//
// Beyond "never crashes, never reads or writes out of bounds": an exchange that failed takes
// no more tokens, and no exchange completes without alice's password. SCRAM cannot complete at
// all (a proof needs the password); PLAIN completes only for the one token that carries it,
// and then names alice.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <fuzzer/FuzzedDataProvider.h>

#include "broker/security/credential_store.h"
#include "broker/security/sasl_server.h"
#include "broker/server/frame_assembler.h"

namespace {

using runnel::Bytes;
using runnel::BytesView;
using namespace runnel::broker;

constexpr const char* kPassword = "alice-secret";

void check(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "sasl_fuzz: %s\n", what);
    std::abort();
  }
}

// alice, with a credential per SCRAM mechanism, in a directory made once per process.
const CredentialStore& credentials() {
  static const std::unique_ptr<CredentialStore> store = [] {
    const auto dir =
        std::filesystem::temp_directory_path() / ("runnel-sasl-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto opened = CredentialStore::open(dir);
    check(opened.ok(), "cannot open the credential store");
    const Bytes salt = Bytes::from_string("a fixed salt for the fuzzer");
    for (ScramMechanism mechanism : {ScramMechanism::kSha256, ScramMechanism::kSha512}) {
      check((*opened)
                ->upsert("alice", mechanism,
                         scram_credential_from_password(mechanism, kPassword, salt.view(),
                                                        kScramMinIterations))
                .ok(),
            "cannot add alice");
    }
    std::filesystem::remove_all(dir);  // loaded: the file is no longer needed
    return std::move(opened).value();
  }();
  return *store;
}

bool carries_the_password(const Bytes& token) {
  const std::string text = token.to_string();
  return text == std::string("\0alice\0", 7) + kPassword ||
         text == std::string("alice\0alice\0", 12) + kPassword;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider input(data, size);
  static const char* const kMechanisms[] = {"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"};
  const std::string mechanism = kMechanisms[input.ConsumeIntegralInRange<int>(0, 2)];
  const std::vector<uint8_t> stream = input.ConsumeRemainingBytes<uint8_t>();

  FrameAssembler assembler(64 * 1024);
  std::vector<Bytes> frames;
  (void)assembler.feed(BytesView(stream.data(), stream.size()), frames);  // malformed tails end it

  std::unique_ptr<SaslServer> server = make_sasl_server(mechanism, credentials());
  check(server != nullptr, "a served mechanism has no server");
  for (const Bytes& frame : frames) {
    auto step = server->evaluate(frame.view());
    if (!step.ok()) break;  // the connection closes: no later token is read
    if (step->complete) {
      check(mechanism == "PLAIN" && carries_the_password(frame),
            "an exchange completed without the password");
      check(server->authorized_id() == "alice", "completed as someone other than alice");
      break;
    }
  }
  return 0;
}
