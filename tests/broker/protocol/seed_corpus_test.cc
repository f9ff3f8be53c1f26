// The fuzzer's seed corpus (tests/fuzz/corpus/) must stay made of valid requests, or fuzzing
// starts from inputs the decoder refuses at the first field and explores little; and it must
// hold one for every (API, version) the handler list serves, so that the fuzzer starts from
// every served layout (flexible and not). tests/broker/handlers/make_fuzz_seeds writes the
// missing ones.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "broker/handlers/handlers.h"
#include "broker/protocol/api_key.h"
#include "broker/protocol/request_header.h"

namespace runnel::broker {
namespace {

template <typename Request>
Status decode_all(WireReader& reader, int16_t version) {
  if (version < Request::kMinVersion || version > Request::kMaxVersion) {
    return invalid_argument_error("version out of range");
  }
  Request request;
  RUNNEL_RETURN_IF_ERROR(request.decode(reader, version));
  if (reader.remaining() != 0) return invalid_argument_error("bytes left over");
  return ok_status();
}

Status decode_request(WireReader& reader, const RequestHeader& header) {
  Status status = invalid_argument_error("not an API runneld serves");
  visit_handler(ServedApis{}, header.api_key, [&]<typename Handler>() {
    status = decode_all<typename Handler::Request>(reader, header.api_version);
  });
  return status;
}

struct Seed {
  std::filesystem::path path;
  std::vector<uint8_t> bytes;
};

std::vector<Seed> seeds() {
  std::vector<Seed> all;
  for (const auto& entry : std::filesystem::directory_iterator(RUNNEL_FUZZ_CORPUS_DIR)) {
    std::ifstream in(entry.path(), std::ios::binary);
    all.push_back(Seed{.path = entry.path(),
                       .bytes = std::vector<uint8_t>((std::istreambuf_iterator<char>(in)),
                                                     std::istreambuf_iterator<char>())});
  }
  return all;
}

TEST(FuzzSeedCorpus, EverySeedIsAWholeValidRequestOfAServedApi) {
  for (const Seed& seed : seeds()) {
    WireReader reader(BytesView(seed.bytes.data(), seed.bytes.size()));
    RequestHeader header;
    ASSERT_TRUE(decode_request_header(reader, header).ok()) << seed.path;
    const Status status = decode_request(reader, header);
    EXPECT_TRUE(status.ok()) << seed.path << ": " << status.to_string();
  }
}

template <typename... Handlers>
void expect_a_seed_for_every_served_version(HandlerList<Handlers...> /*list*/,
                                            const std::set<std::pair<int16_t, int16_t>>& seeded) {
  (
      [&] {
        for (int16_t version = Handlers::kMinVersion; version <= Handlers::kMaxVersion; ++version) {
          EXPECT_TRUE(seeded.contains({Handlers::kApiKey, version}))
              << "no seed for " << api_name(Handlers::kApiKey) << " v" << version
              << " (run make_fuzz_seeds tests/fuzz/corpus)";
        }
      }(),
      ...);
}

TEST(FuzzSeedCorpus, EveryServedApiAndVersionHasASeed) {
  std::set<std::pair<int16_t, int16_t>> seeded;
  for (const Seed& seed : seeds()) {
    WireReader reader(BytesView(seed.bytes.data(), seed.bytes.size()));
    RequestHeader header;
    if (decode_request_header(reader, header).ok()) {
      seeded.emplace(header.api_key, header.api_version);
    }
  }
  expect_a_seed_for_every_served_version(ServedApis{}, seeded);
}

}  // namespace
}  // namespace runnel::broker
