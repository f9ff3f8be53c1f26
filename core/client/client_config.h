#pragma once

#include <map>
#include <string>

namespace runnel::client {

// librdkafka configuration properties by name, exactly as librdkafka's CONFIGURATION.md spells
// them ("bootstrap.servers", "acks", "group.id", ...). The clients pass them through
// unchanged, so anything librdkafka accepts works here and a misspelt name is refused at
// create() with librdkafka's own message.
using ClientConfig = std::map<std::string, std::string>;

}  // namespace runnel::client
