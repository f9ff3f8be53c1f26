#pragma once

#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>

namespace runnel {

// What went wrong, coarsely enough that a caller can decide how to recover.
enum class StatusCode : std::uint8_t {
  kOk = 0,
  kInvalidArgument,  // The caller asked for something malformed; retrying will not help.
  kCorruption,       // Bytes read from disk or the network do not decode; data is suspect.
  kNotFound,         // The named thing (topic, key, file) does not exist.
  kAlreadyExists,    // The thing to create exists already.
  kOutOfRange,       // A position (offset, index) lies outside what exists.
  kUnsupported,      // A valid request for something not implemented (a protocol version).
  kIoError,          // The operating system refused an I/O; may be transient.
  kNoSpace,          // The disk is full; retry once space is freed.
  kTimeout,          // A deadline passed; the operation may still complete later.
  kUnavailable,      // A peer or resource is not reachable right now; retry later.
  kAborted,          // Stopped on purpose (shutdown, rebalance); retry elsewhere or later.
  kInternal,         // A Runnel bug: an invariant did not hold.
  kFenced,  // A newer holder of the same identity (transactional.id, group.instance.id) took
            // over: this client must stop writing and be closed; retrying cannot succeed.
};

// The code's name as written in messages, e.g. "Corruption".
std::string_view status_code_name(StatusCode code);

// The outcome of an operation that touches disk, network or untrusted bytes: either OK or
// an error code with a message meant for a person ("int32 serde: expected 4 bytes, got 3").
//
// An OK Status holds no allocation and is cheap to return and test. Status is a value type:
// copyable, movable, thread-compatible (distinct objects may be used from distinct threads).
// [[nodiscard]]: a Status nobody looks at is a bug.
class [[nodiscard]] Status {
 public:
  // OK.
  Status() noexcept = default;
  // An error; `code` must not be kOk (an OK status carries no message).
  Status(StatusCode code, std::string_view message);

  Status(const Status& other);
  Status& operator=(const Status& other);
  Status(Status&&) noexcept = default;
  Status& operator=(Status&&) noexcept = default;
  ~Status() = default;

  bool ok() const noexcept { return state_ == nullptr; }
  StatusCode code() const noexcept { return ok() ? StatusCode::kOk : state_->code; }
  // Empty for OK.
  std::string_view message() const noexcept;

  // Whether the same operation may succeed if tried again later, unchanged.
  bool is_retryable() const noexcept;

  // "OK", or "<CodeName>: <message>".
  std::string to_string() const;

  // Returns a copy whose message is "<context>: <message>"; OK stays OK.
  Status with_context(std::string_view context) const;

  friend bool operator==(const Status& a, const Status& b) {
    return a.code() == b.code() && a.message() == b.message();
  }

 private:
  struct State {
    StatusCode code;
    std::string message;
  };
  // Null when OK, so that the success path never allocates.
  std::unique_ptr<State> state_;
};

std::ostream& operator<<(std::ostream& os, const Status& status);

// Factories, one per code, in the style of absl::InvalidArgumentError.
inline Status ok_status() { return Status(); }
Status invalid_argument_error(std::string_view message);
Status corruption_error(std::string_view message);
Status not_found_error(std::string_view message);
Status already_exists_error(std::string_view message);
Status out_of_range_error(std::string_view message);
Status unsupported_error(std::string_view message);
Status io_error(std::string_view message);
Status no_space_error(std::string_view message);
Status timeout_error(std::string_view message);
Status unavailable_error(std::string_view message);
Status aborted_error(std::string_view message);
Status internal_error(std::string_view message);
Status fenced_error(std::string_view message);

}  // namespace runnel

// Returns from the enclosing function if `expr` (a Status) is not OK.
#define RUNNEL_RETURN_IF_ERROR(expr)                 \
  do {                                               \
    ::runnel::Status runnel_status_ = (expr);        \
    if (!runnel_status_.ok()) return runnel_status_; \
  } while (false)
