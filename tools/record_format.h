#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/client/consumer_record.h"
#include "core/result.h"
#include "tools/record_decoder.h"

namespace runnel::tools {

// How `runnel consume` prints one record.
//
// A kcat-style format string (--format), whose tokens are kcat's (`kcat -f`):
//   %t topic   %p partition   %o offset   %T timestamp (ms since the epoch)
//   %k key     %s value       (decoded with --key-type / --value-type; null prints nothing)
//   %K key length   %S value length   (bytes as stored; -1 for null)
//   %h headers as NAME=VALUE separated by commas   %% a percent sign
//   \n \r \t \\ and \xHH (a byte in hex) as escapes.
// Or one JSON object per line (--json): {"topic", "partition", "offset", "timestamp", "key",
// "value", "headers": [{"key", "value"}]}, key and value decoded (null as null, a string
// type as a string, int64 and double as numbers, json and protobuf as JSON values, bytes
// that do not decode as {"undecodable", "reason", "hex"}); header values are strings.
class RecordFormat {
 public:
  // InvalidArgument naming the token for a % or \ sequence kcat does not define.
  [[nodiscard]] static Result<RecordFormat> parse(std::string_view format);
  static RecordFormat json();

  std::string render(const client::ConsumerRecord& record, const RecordDecoder& key_decoder,
                     const RecordDecoder& value_decoder) const;

 private:
  struct Piece {
    char token = 0;       // 0: literal text
    std::string literal;  // When token == 0.
  };
  bool json_ = false;
  std::vector<Piece> pieces_;
};

}  // namespace runnel::tools
