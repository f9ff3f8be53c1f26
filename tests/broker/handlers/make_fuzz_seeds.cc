// Writes a seed request for every (API, version) the handler list serves that has none yet
// into the fuzzer's corpus directory: <api>_v<version>, a whole request frame (header then the
// minimal body of tests/broker/handlers/minimal_request.h). Existing seeds, richer ones
// written by hand or by tests/fuzz/make_group_seeds.py, are kept.
//
//   make_fuzz_seeds tests/fuzz/corpus
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "broker/handlers/handlers.h"
#include "broker/protocol/api_key.h"
#include "broker/protocol/request_header.h"
#include "broker/protocol/wire_reader.h"
#include "tests/broker/handlers/minimal_request.h"

namespace runnel::broker {
namespace {

// The (API key, version) of every seed already in `dir`.
std::set<std::pair<int16_t, int16_t>> seeded(const std::filesystem::path& dir) {
  std::set<std::pair<int16_t, int16_t>> found;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    WireReader reader{BytesView(std::string_view(bytes))};
    RequestHeader header;
    if (decode_request_header(reader, header).ok()) {
      found.emplace(header.api_key, header.api_version);
    }
  }
  return found;
}

// "DescribeConfigs" -> "describe_configs".
std::string snake_case(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (std::isupper(static_cast<unsigned char>(c)) && !out.empty()) out += '_';
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

template <typename... Handlers>
int write_missing(HandlerList<Handlers...> /*list*/, const std::filesystem::path& dir) {
  const auto existing = seeded(dir);
  int written = 0;
  (
      [&] {
        using Request = typename Handlers::Request;
        for (int16_t version = Handlers::kMinVersion; version <= Handlers::kMaxVersion; ++version) {
          if (existing.contains({Request::kApiKey, version})) continue;
          const Bytes frame = test_requests::frame_of(test_requests::minimal_request<Request>(),
                                                      version, 42, "fuzz");
          const std::filesystem::path path =
              dir / (snake_case(api_name(Request::kApiKey)) + "_v" + std::to_string(version));
          std::ofstream out(path, std::ios::binary);
          out.write(reinterpret_cast<const char*>(frame.data()),
                    static_cast<std::streamsize>(frame.size()));
          ++written;
        }
      }(),
      ...);
  return written;
}

}  // namespace
}  // namespace runnel::broker

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_fuzz_seeds CORPUS_DIR\n");
    return 2;
  }
  const int written = runnel::broker::write_missing(runnel::broker::ServedApis{}, argv[1]);
  std::printf("wrote %d seed(s) into %s\n", written, argv[1]);
  return 0;
}
