#pragma once

#include <functional>
#include <memory>
#include <string>

#include "core/record.h"
#include "core/serde.h"
#include "core/timestamp.h"
#include "operators/timestamp_extractor.h"

namespace runnel {

// How StreamsBuilder::stream reads a topic: the serdes for its keys and values (null means the
// type's DefaultSerde), an optional TimestampExtractor (null means the application's
// default.timestamp.extractor, by default the record's own timestamp)
// and an optional name for the source processor.
//
//   builder.stream<std::string, std::int64_t>("counts",
//       Consumed<std::string, std::int64_t>{.value_serde = std::make_shared<Int64Serde>()});
//
// Serdes are shared (not copied) by every task reading the topic; they are immutable and
// thread-safe by the Serde contract, which is why shared ownership is used here.
template <typename K, typename V>
struct Consumed {
  std::shared_ptr<const Serde<K>> key_serde;
  std::shared_ptr<const Serde<V>> value_serde;
  TimestampExtractor<K, V> timestamp_extractor;
  std::string name;

  static Consumed with(std::shared_ptr<const Serde<K>> key_serde,
                       std::shared_ptr<const Serde<V>> value_serde) {
    return Consumed{std::move(key_serde), std::move(value_serde), {}, {}};
  }
};

}  // namespace runnel
