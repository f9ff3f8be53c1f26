#include "core/client/consumer_record.h"

#include <string>

namespace runnel::client {

Headers ConsumerRecord::headers() const {
  Headers out;
  rd_kafka_headers_t* headers = nullptr;
  // The headers stay owned by the message.
  if (rd_kafka_message_headers(message_.get(), &headers) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return out;
  }
  const char* name = nullptr;
  const void* value = nullptr;
  size_t size = 0;
  for (size_t i = 0;
       rd_kafka_header_get_all(headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
       ++i) {
    NullableBytes bytes;
    if (value != nullptr) bytes = Bytes(BytesView(static_cast<const uint8_t*>(value), size));
    out.add(std::string(name), std::move(bytes));
  }
  return out;
}

}  // namespace runnel::client
