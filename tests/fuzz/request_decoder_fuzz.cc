// libFuzzer target: arbitrary bytes as a request frame's contents (what runneld hands its
// dispatcher after the size prefix). The header is decoded, then the body of the API it names
// when that API is in the broker's handler list (broker/handlers/handlers.h) and the version
// is valid for the message.
//
// Beyond "never crashes, never reads out of bounds, never allocates absurdly", a body that
// decodes must re-encode to bytes that decode to an equal message, consuming every byte:
// the codec must not accept what it cannot faithfully write back.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "broker/handlers/handlers.h"
#include "broker/protocol/request_header.h"
#include "broker/protocol/wire_reader.h"
#include "broker/protocol/wire_writer.h"

namespace runnel::broker {
namespace {

[[noreturn]] void fail(const char* what, int16_t api_key, int16_t version) {
  std::fprintf(stderr, "request_decoder_fuzz: %s (api key %d, version %d)\n", what, api_key,
               version);
  std::abort();
}

template <typename Request>
void decode_body(BytesView body, int16_t version) {
  if (version < Request::kMinVersion || version > Request::kMaxVersion) return;
  Request request;
  WireReader reader(body);
  if (!request.decode(reader, version).ok()) return;

  WireWriter writer;
  request.encode(writer, version);
  const Bytes bytes = writer.take();
  Request again;
  WireReader again_reader(bytes.view());
  const Status status = again.decode(again_reader, version);
  if (!status.ok())
    fail("a decoded request does not decode once re-encoded", Request::kApiKey, version);
  if (again_reader.remaining() != 0) {
    fail("a re-encoded request has bytes its decoder leaves over", Request::kApiKey, version);
  }
  if (!(again == request))
    fail("a re-encoded request decodes differently", Request::kApiKey, version);
}

}  // namespace
}  // namespace runnel::broker

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace runnel::broker;
  WireReader reader(runnel::BytesView(data, size));
  RequestHeader header;
  if (!decode_request_header(reader, header).ok()) return 0;
  // The body in a buffer of its own exact size, so that any read past it is caught.
  const runnel::Bytes body(runnel::BytesView(data + reader.position(), reader.remaining()));
  const int16_t version = header.api_version;
  // Every API of the broker's handler list, at every version its request schema defines
  // (decode_body skips the others), not only the served ones: the decoder must be safe on
  // any bytes whatever the broker would do with them.
  visit_handler(ServedApis{}, header.api_key, [&]<typename Handler>() {
    decode_body<typename Handler::Request>(body.view(), version);
  });
  return 0;
}
