#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "core/bytes.h"
#include "state/key_value_store.h"

namespace runnel::state::testing {

inline Bytes b(std::string_view text) { return Bytes::from_string(text); }

using Entries = std::vector<std::pair<std::string, std::string>>;

// Drains an iterator into (key, value) strings; fails the test on an iterator error.
inline Entries drain(KeyValueIterator& it) {
  Entries out;
  for (; it.valid(); it.next()) {
    out.emplace_back(std::string(it.key().as_string_view()),
                     std::string(it.value().as_string_view()));
  }
  EXPECT_TRUE(it.status().ok()) << it.status();
  return out;
}

inline Entries drain(Result<std::unique_ptr<KeyValueIterator>> it) {
  EXPECT_TRUE(it.ok()) << it.status();
  if (!it.ok()) return {};
  return drain(**it);
}

}  // namespace runnel::state::testing
