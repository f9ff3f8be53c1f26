#pragma once

#include <optional>
#include <ostream>
#include <utility>

namespace runnel {

// A key and a value, either of which may be null (std::nullopt, distinct from empty): what
// map and flat_map callables return and what TestOutputTopic::read_key_value gives back.
template <typename K, typename V>
struct KeyValue {
  std::optional<K> key;
  std::optional<V> value;

  KeyValue() = default;
  KeyValue(std::optional<K> k, std::optional<V> v) : key(std::move(k)), value(std::move(v)) {}

  friend bool operator==(const KeyValue&, const KeyValue&) = default;
};

template <typename K, typename V>
KeyValue<K, V> make_key_value(K key, V value) {
  return KeyValue<K, V>(std::move(key), std::move(value));
}

template <typename K, typename V>
std::ostream& operator<<(std::ostream& os, const KeyValue<K, V>& kv) {
  os << "KeyValue(";
  if (kv.key)
    os << *kv.key;
  else
    os << "null";
  os << ", ";
  if (kv.value)
    os << *kv.value;
  else
    os << "null";
  return os << ")";
}

}  // namespace runnel
