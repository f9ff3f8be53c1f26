#pragma once

#include <CLI/CLI.hpp>

#include "runtime/streams_config.h"

namespace runnel::examples {

// `--config KEY=VALUE`, shared by every example application: any KafkaStreams property from
// the command line, over the application's own defaults, so that one binary runs under
// either processing guarantee, another commit interval or other client settings without a
// rebuild:
//
//   StreamsProperties overrides;
//   add_config_option(cli, overrides);
//   CLI11_PARSE(cli, argc, argv);
//   KafkaStreams app(topology, with_overrides({{"application.id", "x"}, ...}, overrides));
//
// KEY is any key StreamsConfig takes (runtime/streams_config.h): a Streams key such as
// processing.guarantee or commit.interval.ms, or a librdkafka property, for every client or
// prefixed consumer., producer. or admin. for one kind. The option may be repeated; the last
// value given for a KEY wins. Values are not checked here: KafkaStreams::start() does, naming
// the property, as it does for properties written in code.

// Adds the option to `cli`; each KEY=VALUE given is stored in `overrides`, which must outlive
// the parse. A value without '=' or with an empty KEY is a usage error that names it.
CLI::Option* add_config_option(CLI::App& cli, StreamsProperties& overrides);

// `defaults` with every property of `overrides` set over it.
StreamsProperties with_overrides(StreamsProperties defaults, const StreamsProperties& overrides);

// The property value naming `guarantee` ("at_least_once", "exactly_once_v2"), for printouts.
const char* processing_guarantee_name(ProcessingGuarantee guarantee);

}  // namespace runnel::examples
