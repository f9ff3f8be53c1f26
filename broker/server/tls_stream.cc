#include "broker/server/tls_stream.h"

#include <algorithm>
#include <cstring>
#include <new>

#include <boost/asio/ssl/error.hpp>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

namespace runnel::broker {

namespace {

// After a large response, an output buffer above this size is given back rather than kept
// for the connection's next write.
constexpr size_t kKeptOutputBytes = 256 * 1024;

}  // namespace

// OpenSSL's view of a TlsStream's buffers: one BIO for both directions. Reading takes from
// the input buffer and, when it is empty, says "retry" (OpenSSL reports WANT_READ); writing
// appends to the output buffer and always succeeds.
struct TlsStreamBio {
  static BIO_METHOD* method() {
    static BIO_METHOD* const kMethod = [] {
      BIO_METHOD* method =
          BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "runnel TlsStream");
      if (method == nullptr) throw std::bad_alloc();
      BIO_meth_set_read_ex(method, &read);
      BIO_meth_set_write_ex(method, &write);
      BIO_meth_set_ctrl(method, &control);
      return method;
    }();
    return kMethod;
  }

  static TlsStream& stream_of(BIO* bio) { return *static_cast<TlsStream*>(BIO_get_data(bio)); }

  static int read(BIO* bio, char* data, size_t size, size_t* count) {
    BIO_clear_retry_flags(bio);
    TlsStream& stream = stream_of(bio);
    const size_t available = stream.input_end_ - stream.input_begin_;
    if (available == 0) {
      BIO_set_retry_read(bio);
      *count = 0;
      return 0;
    }
    const size_t taken = std::min(size, available);
    std::memcpy(data, stream.input_.data() + stream.input_begin_, taken);
    stream.input_begin_ += taken;
    *count = taken;
    return 1;
  }

  static int write(BIO* bio, const char* data, size_t size, size_t* count) {
    BIO_clear_retry_flags(bio);
    stream_of(bio).output_.append(data, size);
    *count = size;
    return 1;
  }

  static long control(BIO* bio, int command, long, void*) {
    switch (command) {
      case BIO_CTRL_FLUSH:
        return 1;  // nothing is held: the stream sends the output buffer itself
      case BIO_CTRL_PENDING: {
        TlsStream& stream = stream_of(bio);
        return static_cast<long>(stream.input_end_ - stream.input_begin_);
      }
      default:
        return 0;
    }
  }
};

TlsStream::TlsStream(Socket socket, SSL_CTX* context)
    : socket_(std::move(socket)), ssl_(SSL_new(context)) {
  if (ssl_ == nullptr) throw std::bad_alloc();
  // OpenSSL's own record buffers are freed while the connection is idle.
  SSL_set_mode(ssl_, SSL_MODE_RELEASE_BUFFERS);
  BIO* bio = BIO_new(TlsStreamBio::method());
  if (bio == nullptr) {
    SSL_free(ssl_);
    throw std::bad_alloc();
  }
  BIO_set_data(bio, this);
  BIO_set_init(bio, 1);
  SSL_set_bio(ssl_, bio, bio);  // one reference, owned by ssl_ from here
  SSL_set_accept_state(ssl_);
}

TlsStream::~TlsStream() { SSL_free(ssl_); }

TlsStream::Progress TlsStream::progress_after(int result, ErrorCode& error) {
  switch (SSL_get_error(ssl_, result)) {
    case SSL_ERROR_WANT_READ:
      return Progress::kNeedInput;
    case SSL_ERROR_ZERO_RETURN:
      return Progress::kClosed;  // the client's close_notify
    default:
      break;
  }
  // OpenSSL's reason ("wrong version number", "certificate verify failed", ...) in the
  // category Boost.Asio uses for it, so that error.message() names it.
  if (const unsigned long reason = ERR_get_error(); reason != 0) {
    error = ErrorCode(static_cast<int>(reason), boost::asio::error::get_ssl_category());
  } else {
    error = boost::system::errc::make_error_code(boost::system::errc::protocol_error);
  }
  return Progress::kFailed;
}

TlsStream::Progress TlsStream::handshake_step(ErrorCode& error) {
  ERR_clear_error();
  const int result = SSL_do_handshake(ssl_);
  if (result == 1) return Progress::kDone;
  return progress_after(result, error);
}

TlsStream::Progress TlsStream::decrypt(uint8_t* data, size_t size, size_t& count,
                                       ErrorCode& error) {
  count = 0;
  while (count < size) {
    ERR_clear_error();
    size_t decrypted = 0;
    const int result = SSL_read_ex(ssl_, data + count, size - count, &decrypted);
    if (result == 1) {
      count += decrypted;
      continue;
    }
    const Progress progress = progress_after(result, error);
    // What was decrypted before the input ran out, or before close_notify, is delivered
    // first; the next read meets the same state again.
    if (count > 0 && progress != Progress::kFailed) return Progress::kDone;
    return progress;
  }
  return Progress::kDone;
}

TlsStream::ErrorCode TlsStream::encrypt(const uint8_t* data, size_t size) {
  if (size == 0) return {};
  // Each record of up to 16 KiB adds a header, a tag and a content type byte.
  output_.reserve(output_.size() + size + (size / 16384 + 1) * 64);
  ERR_clear_error();
  size_t written = 0;
  const int result = SSL_write_ex(ssl_, data, size, &written);
  if (result == 1) return {};
  ErrorCode error;
  if (progress_after(result, error) != Progress::kFailed) {
    // Only renegotiation could make a write wait for input, and it is off.
    error = boost::system::errc::make_error_code(boost::system::errc::protocol_error);
  }
  return error;
}

boost::asio::mutable_buffer TlsStream::input_room(size_t capacity) {
  if (input_.size() < capacity) input_.resize(capacity);
  input_begin_ = 0;
  input_end_ = 0;
  return boost::asio::buffer(input_.data(), input_.size());
}

void TlsStream::input_received(size_t count) {
  input_begin_ = 0;
  input_end_ = count;
}

boost::asio::const_buffer TlsStream::begin_send() {
  sending_.swap(output_);
  output_.clear();
  return boost::asio::buffer(sending_.data(), sending_.size());
}

void TlsStream::end_send() {
  if (sending_.capacity() > kKeptOutputBytes) {
    std::string().swap(sending_);
  } else {
    sending_.clear();
  }
}

}  // namespace runnel::broker
