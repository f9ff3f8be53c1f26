#include "examples/common/streams_cli.h"

#include <string>
#include <vector>

namespace runnel::examples {

CLI::Option* add_config_option(CLI::App& cli, StreamsProperties& overrides) {
  const CLI::Validator key_equals_value(
      [](std::string& item) -> std::string {
        const std::size_t eq = item.find('=');
        if (eq == std::string::npos || eq == 0) return "expected KEY=VALUE, got \"" + item + "\"";
        return {};
      },
      "");
  return cli
      .add_option_function<std::vector<std::string>>(
          "--config",
          [&overrides](const std::vector<std::string>& items) {
            for (const std::string& item : items) {
              const std::size_t eq = item.find('=');
              overrides[item.substr(0, eq)] = item.substr(eq + 1);
            }
          },
          "A KafkaStreams property over the application's default, e.g. "
          "processing.guarantee=at_least_once, commit.interval.ms=1000, "
          "producer.linger.ms=20 (repeatable; see docs/RUNTIME.md)")
      ->type_name("KEY=VALUE")
      ->check(key_equals_value)
      // One KEY=VALUE per --config, so that an option's value is never taken for another.
      ->allow_extra_args(false);
}

StreamsProperties with_overrides(StreamsProperties defaults, const StreamsProperties& overrides) {
  for (const auto& [key, value] : overrides) defaults[key] = value;
  return defaults;
}

const char* processing_guarantee_name(ProcessingGuarantee guarantee) {
  switch (guarantee) {
    case ProcessingGuarantee::kAtLeastOnce:
      return "at_least_once";
    case ProcessingGuarantee::kExactlyOnceV2:
      return "exactly_once_v2";
  }
  return "unknown";
}

}  // namespace runnel::examples
