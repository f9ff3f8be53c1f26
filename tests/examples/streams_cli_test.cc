// --config KEY=VALUE, shared by the example applications: properties given on the command line
// reach KafkaStreams over the application's defaults, and malformed ones are usage errors.
#include "examples/common/streams_cli.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace runnel::examples {
namespace {

// Parses `args` (without the program name) with --config and one other option, as the
// examples do; returns the CLI11 error's message, empty on success.
std::string parse(std::vector<std::string> args, StreamsProperties& overrides) {
  CLI::App cli{"test"};
  std::string bootstrap;
  cli.add_option("--bootstrap-server", bootstrap);
  add_config_option(cli, overrides);
  std::vector<const char*> argv{"app"};
  for (const std::string& a : args) argv.push_back(a.c_str());
  try {
    cli.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError& e) {
    return e.what();
  }
  return {};
}

TEST(StreamsCli, RepeatedConfigOptionsSetEveryProperty) {
  StreamsProperties overrides;
  EXPECT_EQ(parse({"--config", "processing.guarantee=exactly_once_v2", "--bootstrap-server",
                   "127.0.0.1:1", "--config", "producer.linger.ms=20"},
                  overrides),
            "");
  EXPECT_EQ(overrides, (StreamsProperties{{"processing.guarantee", "exactly_once_v2"},
                                          {"producer.linger.ms", "20"}}));
}

TEST(StreamsCli, TheLastValueOfAKeyWinsAndAValueMayHoldEqualsSigns) {
  StreamsProperties overrides;
  EXPECT_EQ(parse({"--config=commit.interval.ms=1000", "--config", "commit.interval.ms=200",
                   "--config", "sasl.jaas.config=a=b", "--config", "client.id="},
                  overrides),
            "");
  EXPECT_EQ(overrides,
            (StreamsProperties{
                {"commit.interval.ms", "200"}, {"sasl.jaas.config", "a=b"}, {"client.id", ""}}));
}

TEST(StreamsCli, OverridesReplaceTheApplicationsDefaultsAndKeepTheRest) {
  const StreamsProperties merged =
      with_overrides({{"application.id", "demo"}, {"commit.interval.ms", "500"}},
                     {{"commit.interval.ms", "100"}, {"processing.guarantee", "at_least_once"}});
  EXPECT_EQ(merged, (StreamsProperties{{"application.id", "demo"},
                                       {"commit.interval.ms", "100"},
                                       {"processing.guarantee", "at_least_once"}}));
}

TEST(StreamsCli, AConfigWithoutAKeyOrAnEqualsSignIsAUsageErrorNamingIt) {
  for (const std::string bad : {"processing.guarantee", "=exactly_once_v2"}) {
    StreamsProperties overrides;
    const std::string error = parse({"--config", bad}, overrides);
    EXPECT_NE(error.find("expected KEY=VALUE"), std::string::npos) << error;
    EXPECT_NE(error.find(bad), std::string::npos) << error;
    EXPECT_TRUE(overrides.empty());
  }
}

TEST(StreamsCli, OneConfigTakesOneValue) {
  StreamsProperties overrides;
  // A second word after --config is not a property: it is left to the application's parser,
  // which has no positional argument and refuses it.
  EXPECT_NE(parse({"--config", "a.b=1", "c.d=2"}, overrides), "");
}

TEST(StreamsCli, GuaranteesAreNamedAsThePropertyValues) {
  EXPECT_STREQ(processing_guarantee_name(ProcessingGuarantee::kAtLeastOnce), "at_least_once");
  EXPECT_STREQ(processing_guarantee_name(ProcessingGuarantee::kExactlyOnceV2), "exactly_once_v2");
}

}  // namespace
}  // namespace runnel::examples
