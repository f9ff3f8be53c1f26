#include "core/serde.h"

#include <string>

namespace runnel {

Status serde_size_error(std::string_view serde_name, std::size_t expected, std::size_t actual) {
  std::string message(serde_name);
  message += " serde: expected ";
  message += std::to_string(expected);
  message += " bytes, got ";
  message += std::to_string(actual);
  return corruption_error(message);
}

}  // namespace runnel
