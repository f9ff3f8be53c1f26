#pragma once

#include <cstddef>
#include <optional>
#include <ranges>
#include <tuple>
#include <type_traits>
#include <utility>

#include "core/record.h"
#include "operators/key_value.h"

// How DSL callables are called and what their results mean. A callable may take each of the
// key and the value either as the plain type (const K&) or as std::optional<K>: a plain
// parameter is never given a null, so the operator applies its null rule instead (see
// KStream); an optional parameter sees nulls. Generic lambdas (auto parameters) count as
// plain.

namespace runnel::internal {

template <typename T>
struct is_optional : std::false_type {};
template <typename T>
struct is_optional<std::optional<T>> : std::true_type {};
template <typename T>
inline constexpr bool is_optional_v = is_optional<std::remove_cvref_t<T>>::value;

// std::optional<T> -> T; anything else unchanged: what a callable's result becomes as a key
// or value type (an optional result means the callable may produce a null).
template <typename T>
struct unwrap_optional {
  using type = T;
};
template <typename T>
struct unwrap_optional<std::optional<T>> {
  using type = T;
};
template <typename T>
using unwrap_optional_t = typename unwrap_optional<std::remove_cvref_t<T>>::type;

template <typename T>
std::optional<unwrap_optional_t<T>> to_optional(T&& value) {
  if constexpr (is_optional_v<T>) {
    return std::forward<T>(value);
  } else {
    return std::optional<std::remove_cvref_t<T>>(std::forward<T>(value));
  }
}

// The parameter types of a callable with exactly one call operator.
template <typename Sig>
struct fn_args {
  static constexpr bool known = false;
};
#define RUNNEL_INTERNAL_FN_ARGS(QUALS)             \
  template <typename R, typename C, typename... A> \
  struct fn_args<R (C::*)(A...) QUALS> {           \
    static constexpr bool known = true;            \
    using type = std::tuple<A...>;                 \
  };
RUNNEL_INTERNAL_FN_ARGS()
RUNNEL_INTERNAL_FN_ARGS(const)
RUNNEL_INTERNAL_FN_ARGS(noexcept)
RUNNEL_INTERNAL_FN_ARGS(const noexcept)
#undef RUNNEL_INTERNAL_FN_ARGS
template <typename R, typename... A>
struct fn_args<R (*)(A...)> {
  static constexpr bool known = true;
  using type = std::tuple<A...>;
};

template <typename F, typename = void>
struct callable_args : fn_args<std::decay_t<F>> {};
template <typename F>
struct callable_args<F, std::void_t<decltype(&std::decay_t<F>::operator())>>
    : fn_args<decltype(&std::decay_t<F>::operator())> {};

// Whether parameter I of F is a std::optional (false when F's parameters cannot be known).
template <typename F, std::size_t I>
constexpr bool takes_optional() {
  using Args = callable_args<F>;
  if constexpr (!Args::known) {
    return false;
  } else if constexpr (I >= std::tuple_size_v<typename Args::type>) {
    return false;
  } else {
    return is_optional_v<std::tuple_element_t<I, typename Args::type>>;
  }
}

// A callable of (key, value).
template <typename F, typename K, typename V>
struct KeyValueCall {
  static constexpr bool kKeyOptional = takes_optional<F, 0>();
  static constexpr bool kValueOptional = takes_optional<F, 1>();

  static bool can_call(const Record<K, V>& r) {
    return (kKeyOptional || r.key.has_value()) && (kValueOptional || r.value.has_value());
  }
  static decltype(auto) call(F& f, const Record<K, V>& r) {
    if constexpr (kKeyOptional && kValueOptional) {
      return f(r.key, r.value);
    } else if constexpr (kKeyOptional) {
      return f(r.key, *r.value);
    } else if constexpr (kValueOptional) {
      return f(*r.key, r.value);
    } else {
      return f(*r.key, *r.value);
    }
  }
};

// A callable of the value only.
template <typename F, typename K, typename V>
struct ValueCall {
  static constexpr bool kValueOptional = takes_optional<F, 0>();

  static bool can_call(const Record<K, V>& r) { return kValueOptional || r.value.has_value(); }
  static decltype(auto) call(F& f, const Record<K, V>& r) {
    if constexpr (kValueOptional) {
      return f(r.value);
    } else {
      return f(*r.value);
    }
  }
};

// Whether F can be called with the value alone (else it must take key and value).
template <typename F, typename K, typename V>
inline constexpr bool is_value_callable_v = std::is_invocable_v<F&, const V&>;
template <typename F, typename K, typename V>
inline constexpr bool is_key_value_callable_v = std::is_invocable_v<F&, const K&, const V&>;

// The call shape of F: value-only if it takes one argument, (key, value) otherwise.
template <typename F, typename K, typename V>
using ValueOrKeyValueCall =
    std::conditional_t<is_value_callable_v<F, K, V>, ValueCall<F, K, V>, KeyValueCall<F, K, V>>;

template <typename F, typename K, typename V>
using key_value_result_t = std::invoke_result_t<F&, const K&, const V&>;

// KeyValue<K2, V2> or std::pair<K2, V2> (either part may be an optional): the result of map.
template <typename T>
struct key_value_parts {
  static constexpr bool ok = false;
};
template <typename K, typename V>
struct key_value_parts<KeyValue<K, V>> {
  static constexpr bool ok = true;
  using key = K;
  using value = V;
  static KeyValue<K, V> to_key_value(KeyValue<K, V>&& kv) { return std::move(kv); }
};
template <typename A, typename B>
struct key_value_parts<std::pair<A, B>> {
  static constexpr bool ok = true;
  using key = unwrap_optional_t<A>;
  using value = unwrap_optional_t<B>;
  static KeyValue<key, value> to_key_value(std::pair<A, B>&& p) {
    return KeyValue<key, value>(to_optional(std::move(p.first)), to_optional(std::move(p.second)));
  }
};
template <typename T>
using key_value_parts_t = key_value_parts<std::remove_cvref_t<T>>;

template <typename T>
concept Iterable = std::ranges::input_range<std::remove_cvref_t<T>>;

template <typename T>
using range_element_t = std::ranges::range_value_t<std::remove_cvref_t<T>>;

template <typename>
inline constexpr bool dependent_false_v = false;

}  // namespace runnel::internal
