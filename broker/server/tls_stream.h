#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <boost/asio/compose.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/system/error_code.hpp>

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

namespace runnel::broker {

// The server side of TLS over one TCP socket, with OpenSSL writing to and reading from
// buffers of ours rather than from the socket.
//
// Why not boost::asio::ssl::stream: it moves one TLS record (16 KiB of plaintext) per socket
// call, so a 1 MiB fetch response left in 64 sends and a produce request arrived in as many
// receives, and every record was copied once more through a memory BIO pair. Here a write
// encrypts the whole buffer into one output buffer and sends it with one write, and a read
// takes up to kInputBytes of records from the socket at once and decrypts as many as the
// caller has room for. Measured in docs/BENCHMARKS.md ("Over TLS").
//
// Like the socket it wraps it is not thread-safe, and it relies on what the connection
// guarantees: every call and every handler runs on one strand (the handlers' associated
// executor), with at most one handshake, or one read and one write, outstanding. Bytes that
// OpenSSL produces while reading (a TLS 1.3 KeyUpdate answer; alerts before a close) wait in
// the output buffer and leave ahead of the next write, which keeps their order.
class TlsStream {
 public:
  using Socket = boost::asio::ip::tcp::socket;
  using ErrorCode = boost::system::error_code;

  // How many bytes of records one socket read may take: one whole record during the
  // handshake (a silent or half-open client holds no more), and four once it is done.
  static constexpr size_t kHandshakeInputBytes = 16 * 1024 + 5;
  static constexpr size_t kInputBytes = 64 * 1024;

  // `context` must outlive the stream; its verification settings (client certificates)
  // apply.
  TlsStream(Socket socket, SSL_CTX* context);
  ~TlsStream();
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;

  Socket& next_layer() { return socket_; }
  SSL* native_handle() { return ssl_; }

  // The server side of the handshake; `handler(error_code)`.
  template <typename Handler>
  auto async_handshake(Handler&& handler) {
    return boost::asio::async_compose<Handler, void(ErrorCode)>(HandshakeOp{*this}, handler,
                                                                socket_);
  }

  // Decrypts into `buffer` what has arrived, reading from the socket only when nothing is
  // buffered; `handler(error_code, size_t)`. End of stream (the client's close_notify, or the
  // socket's EOF) is boost::asio::error::eof.
  template <typename MutableBuffer, typename Handler>
  auto async_read_some(const MutableBuffer& buffer, Handler&& handler) {
    return boost::asio::async_compose<Handler, void(ErrorCode, size_t)>(
        ReadOp{*this, static_cast<uint8_t*>(buffer.data()), buffer.size()}, handler, socket_);
  }

  // Encrypts all of `buffer` and sends it with whatever was waiting to leave;
  // `handler(error_code, size_t)` with the plaintext size once it has left.
  template <typename ConstBuffer, typename Handler>
  auto async_write(const ConstBuffer& buffer, Handler&& handler) {
    return boost::asio::async_compose<Handler, void(ErrorCode, size_t)>(
        WriteOp{*this, static_cast<const uint8_t*>(buffer.data()), buffer.size()}, handler,
        socket_);
  }

 private:
  enum class Progress { kDone, kNeedInput, kClosed, kFailed };

  // One step of OpenSSL's handshake over the input buffered so far.
  Progress handshake_step(ErrorCode& error);
  // Decrypts into [data, data + size) what the buffered input holds; `count` is how much.
  Progress decrypt(uint8_t* data, size_t size, size_t& count, ErrorCode& error);
  // Encrypts [data, data + size) into the output buffer.
  ErrorCode encrypt(const uint8_t* data, size_t size);

  // Where the next socket read goes: the input buffer, empty by then (OpenSSL asks for more
  // only when it has taken everything), of `capacity` bytes.
  boost::asio::mutable_buffer input_room(size_t capacity);
  void input_received(size_t count);

  bool has_output() const { return !output_.empty(); }
  // Moves the output buffer aside for a socket write, which must finish before the next.
  boost::asio::const_buffer begin_send();
  void end_send();

  Progress progress_after(int result, ErrorCode& error);

  // The BIO OpenSSL reads records from and writes records to: over the buffers below.
  friend struct TlsStreamBio;

  struct HandshakeOp {
    TlsStream& stream;
    enum class State { kStart, kSent, kReceived, kAlertSent } state = State::kStart;
    ErrorCode failure;

    template <typename Self>
    void operator()(Self& self, ErrorCode error = {}, size_t count = 0) {
      if (state == State::kAlertSent) {
        stream.end_send();
        return self.complete(failure);
      }
      if (state == State::kSent) stream.end_send();
      if (state == State::kReceived && !error) stream.input_received(count);
      if (error) return self.complete(error);
      for (;;) {
        if (stream.has_output()) {
          state = State::kSent;
          boost::asio::async_write(stream.socket_, stream.begin_send(), std::move(self));
          return;
        }
        const Progress progress = stream.handshake_step(error);
        if (stream.has_output() && progress != Progress::kFailed) continue;
        switch (progress) {
          case Progress::kDone:
            return self.complete(ErrorCode());
          case Progress::kNeedInput:
            state = State::kReceived;
            stream.socket_.async_read_some(stream.input_room(kHandshakeInputBytes),
                                           std::move(self));
            return;
          case Progress::kClosed:
            return self.complete(boost::asio::error::eof);
          case Progress::kFailed:
            if (stream.has_output()) {
              // OpenSSL's alert ("unknown ca", "protocol version") leaves first, so that the
              // client can say why; the handshake fails either way.
              failure = error;
              state = State::kAlertSent;
              boost::asio::async_write(stream.socket_, stream.begin_send(), std::move(self));
              return;
            }
            return self.complete(error);
        }
      }
    }
  };

  struct ReadOp {
    TlsStream& stream;
    uint8_t* data;
    size_t size;
    enum class State { kStart, kReceived, kDeliver } state = State::kStart;
    ErrorCode result;
    size_t count = 0;

    template <typename Self>
    void operator()(Self& self, ErrorCode error = {}, size_t received = 0) {
      if (state == State::kDeliver) return self.complete(result, count);
      const bool first_step = state == State::kStart;
      if (state == State::kReceived) {
        if (error) return self.complete(error, 0);
        stream.input_received(received);
      }
      switch (stream.decrypt(data, size, count, result)) {
        case Progress::kNeedInput:
          state = State::kReceived;
          stream.socket_.async_read_some(stream.input_room(kInputBytes), std::move(self));
          return;
        case Progress::kDone:
          break;
        case Progress::kClosed:
          result = boost::asio::error::eof;
          break;
        case Progress::kFailed:
          break;
      }
      if (!first_step) return self.complete(result, count);
      // Already decrypted: deliver through the executor, never from inside the call.
      state = State::kDeliver;
      boost::asio::post(std::move(self));
    }
  };

  struct WriteOp {
    TlsStream& stream;
    const uint8_t* data;
    size_t size;
    enum class State { kStart, kSent, kFailed } state = State::kStart;
    ErrorCode failure;

    template <typename Self>
    void operator()(Self& self, ErrorCode error = {}, size_t = 0) {
      switch (state) {
        case State::kStart:
          failure = stream.encrypt(data, size);
          if (failure) {
            state = State::kFailed;
            boost::asio::post(std::move(self));
            return;
          }
          state = State::kSent;
          boost::asio::async_write(stream.socket_, stream.begin_send(), std::move(self));
          return;
        case State::kSent:
          stream.end_send();
          return self.complete(error, error ? 0 : size);
        case State::kFailed:
          return self.complete(failure, 0);
      }
    }
  };

  Socket socket_;
  SSL* ssl_ = nullptr;

  // Records read from the socket and not yet taken by OpenSSL: [input_begin_, input_end_).
  std::vector<uint8_t> input_;
  size_t input_begin_ = 0;
  size_t input_end_ = 0;

  // Records OpenSSL wrote, waiting to leave; and the ones leaving (one socket write at a time).
  std::string output_;
  std::string sending_;
};

}  // namespace runnel::broker
