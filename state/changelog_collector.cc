#include "state/changelog_collector.h"

namespace runnel::state {

std::string changelog_topic_name(std::string_view application_id, std::string_view store_name) {
  std::string name;
  name.reserve(application_id.size() + store_name.size() + 11);
  name.append(application_id).append("-").append(store_name).append("-changelog");
  return name;
}

}  // namespace runnel::state
