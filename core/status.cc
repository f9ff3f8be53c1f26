#include "core/status.h"

#include <cassert>

namespace runnel {

std::string_view status_code_name(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "OK";
    case StatusCode::kInvalidArgument:
      return "InvalidArgument";
    case StatusCode::kCorruption:
      return "Corruption";
    case StatusCode::kNotFound:
      return "NotFound";
    case StatusCode::kAlreadyExists:
      return "AlreadyExists";
    case StatusCode::kOutOfRange:
      return "OutOfRange";
    case StatusCode::kUnsupported:
      return "Unsupported";
    case StatusCode::kIoError:
      return "IoError";
    case StatusCode::kNoSpace:
      return "NoSpace";
    case StatusCode::kTimeout:
      return "Timeout";
    case StatusCode::kUnavailable:
      return "Unavailable";
    case StatusCode::kAborted:
      return "Aborted";
    case StatusCode::kInternal:
      return "Internal";
    case StatusCode::kFenced:
      return "Fenced";
  }
  return "Unknown";
}

Status::Status(StatusCode code, std::string_view message)
    : state_(std::make_unique<State>(State{code, std::string(message)})) {
  assert(code != StatusCode::kOk && "an OK status carries no message");
}

Status::Status(const Status& other)
    : state_(other.ok() ? nullptr : std::make_unique<State>(*other.state_)) {}

Status& Status::operator=(const Status& other) {
  if (this != &other) state_ = other.ok() ? nullptr : std::make_unique<State>(*other.state_);
  return *this;
}

std::string_view Status::message() const noexcept {
  return ok() ? std::string_view() : std::string_view(state_->message);
}

bool Status::is_retryable() const noexcept {
  switch (code()) {
    case StatusCode::kIoError:
    case StatusCode::kNoSpace:
    case StatusCode::kTimeout:
    case StatusCode::kUnavailable:
    case StatusCode::kAborted:
      return true;
    default:
      return false;
  }
}

std::string Status::to_string() const {
  if (ok()) return "OK";
  std::string out(status_code_name(state_->code));
  out += ": ";
  out += state_->message;
  return out;
}

Status Status::with_context(std::string_view context) const {
  if (ok()) return *this;
  std::string message(context);
  message += ": ";
  message += state_->message;
  return Status(state_->code, message);
}

std::ostream& operator<<(std::ostream& os, const Status& status) {
  return os << status.to_string();
}

Status invalid_argument_error(std::string_view message) {
  return Status(StatusCode::kInvalidArgument, message);
}
Status corruption_error(std::string_view message) {
  return Status(StatusCode::kCorruption, message);
}
Status not_found_error(std::string_view message) { return Status(StatusCode::kNotFound, message); }
Status already_exists_error(std::string_view message) {
  return Status(StatusCode::kAlreadyExists, message);
}
Status out_of_range_error(std::string_view message) {
  return Status(StatusCode::kOutOfRange, message);
}
Status unsupported_error(std::string_view message) {
  return Status(StatusCode::kUnsupported, message);
}
Status io_error(std::string_view message) { return Status(StatusCode::kIoError, message); }
Status no_space_error(std::string_view message) { return Status(StatusCode::kNoSpace, message); }
Status timeout_error(std::string_view message) { return Status(StatusCode::kTimeout, message); }
Status unavailable_error(std::string_view message) {
  return Status(StatusCode::kUnavailable, message);
}
Status aborted_error(std::string_view message) { return Status(StatusCode::kAborted, message); }
Status internal_error(std::string_view message) { return Status(StatusCode::kInternal, message); }
Status fenced_error(std::string_view message) { return Status(StatusCode::kFenced, message); }

}  // namespace runnel
