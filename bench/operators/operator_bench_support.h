#pragma once

// What the operator benchmarks share: the keys they cycle through and a fresh state directory.

#include <stdlib.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

namespace runnel::bench {

// `count` keys "<prefix>-000000", "<prefix>-000001", ...
inline std::vector<std::string> numbered_keys(const char* prefix, std::size_t count) {
  std::vector<std::string> out;
  out.reserve(count);
  char buffer[64];
  for (std::size_t i = 0; i < count; ++i) {
    std::snprintf(buffer, sizeof buffer, "%s-%06zu", prefix, i);
    out.emplace_back(buffer);
  }
  return out;
}

// The key of the i-th record: 7919 is prime, so i * 7919 mod keys.size() visits every key once
// per keys.size() records, in an order that is not the keys' (as a real key stream is not).
inline const std::string& key_at(const std::vector<std::string>& keys, std::uint64_t i) {
  return keys[(i * 7919) % keys.size()];
}

// A new empty directory under the system's temporary directory; aborts if none can be made.
inline std::filesystem::path fresh_dir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "runnel-bench-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) std::abort();
  return pattern;
}

}  // namespace runnel::bench
