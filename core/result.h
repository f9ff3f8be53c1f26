#pragma once

#include <cassert>
#include <optional>
#include <type_traits>
#include <utility>

#include "core/status.h"

namespace runnel {

// Either a value of type T or a non-OK Status saying why there is none; the return type of
// every fallible operation that produces something (decoding, reading, opening).
//
//   Result<std::int32_t> n = Int32Serde().deserialize(bytes);
//   if (!n.ok()) return n.status();
//   use(*n);
//
// Reading the value of an error Result is a programming error (asserted in debug builds).
// Thread-compatible, like T.
template <typename T>
class [[nodiscard]] Result {
  static_assert(!std::is_same_v<std::remove_cv_t<T>, Status>, "use Status, not Result<Status>");
  static_assert(!std::is_reference_v<T>, "Result holds values; return a pointer to borrow");

 public:
  // A Result holding `value`.
  Result(const T& value) : value_(value) {}        // NOLINT: implicit
  Result(T&& value) : value_(std::move(value)) {}  // NOLINT: implicit
  template <typename U, typename = std::enable_if_t<std::is_constructible_v<T, U&&> &&
                                                    !std::is_same_v<std::decay_t<U>, T> &&
                                                    !std::is_same_v<std::decay_t<U>, Status> &&
                                                    !std::is_same_v<std::decay_t<U>, Result>>>
  Result(U&& value) : value_(std::in_place, std::forward<U>(value)) {}  // NOLINT: implicit

  // A Result holding the error `status`, which must not be OK: an OK status with no value
  // would be a Result that is neither. In release builds it becomes an Internal error.
  Result(Status status) : status_(std::move(status)) {  // NOLINT: implicit
    assert(!status_.ok() && "Result constructed from an OK status has no value");
    if (status_.ok()) status_ = internal_error("Result constructed from an OK status");
  }

  bool ok() const noexcept { return value_.has_value(); }
  // OK when a value is held, the error otherwise.
  const Status& status() const noexcept { return status_; }

  T& value() & {
    assert(ok());
    return *value_;
  }
  const T& value() const& {
    assert(ok());
    return *value_;
  }
  // On a temporary Result the value is moved out and returned by value, not as T&&: a
  // reference into a temporary would dangle once the full expression ends, as in
  //   for (const auto& kv : *driver.read_key_values_to_list()) ...
  // where the range-for keeps only the reference alive, not the Result. By value, the
  // range-for's lifetime extension applies to the moved-out value. It costs one move.
  T value() && {
    assert(ok());
    return std::move(*value_);
  }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  // The value, or `fallback` when this is an error.
  template <typename U>
  T value_or(U&& fallback) const& {
    return ok() ? *value_ : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  Status status_;  // OK exactly when value_ holds a value.
  std::optional<T> value_;
};

}  // namespace runnel

#define RUNNEL_INTERNAL_CONCAT_INNER(a, b) a##b
#define RUNNEL_INTERNAL_CONCAT(a, b) RUNNEL_INTERNAL_CONCAT_INNER(a, b)

// Evaluates `expr` (a Result<T>); on error returns its Status from the enclosing function,
// otherwise moves the value into `lhs` (once: `tmp` is a named Result, so *tmp is a reference),
// which may be a declaration:
//   RUNNEL_ASSIGN_OR_RETURN(auto batch, RecordBatch::parse(bytes));
#define RUNNEL_ASSIGN_OR_RETURN(lhs, expr) \
  RUNNEL_INTERNAL_ASSIGN_OR_RETURN(RUNNEL_INTERNAL_CONCAT(runnel_result_, __LINE__), lhs, expr)

#define RUNNEL_INTERNAL_ASSIGN_OR_RETURN(tmp, lhs, expr) \
  auto tmp = (expr);                                     \
  if (!tmp.ok()) return tmp.status();                    \
  lhs = std::move(*tmp)
