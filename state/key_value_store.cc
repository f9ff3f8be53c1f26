#include "state/key_value_store.h"

#include <string>

namespace runnel::state {

Status store_closed_error(std::string_view store_name) {
  return aborted_error("state store '" + std::string(store_name) + "' is closed");
}

}  // namespace runnel::state
