#pragma once

#include <filesystem>
#include <string_view>
#include <vector>

#include "broker/server/broker_config.h"
#include "core/result.h"

namespace runnel::broker {

// runneld's configuration in Kafka's words: listener specs, --add-scram users and a
// server.properties file. Every parser returns invalid_argument_error with a message that
// quotes the offending text.

// "NAME=PROTOCOL://HOST:PORT" (runneld --listener), or "PROTOCOL://HOST:PORT" for a listener
// named after its protocol. An empty HOST means every interface, as in Kafka; IPv6 hosts
// go in brackets.
Result<ListenerConfig> parse_listener_flag(std::string_view text);

// Kafka's `listeners` ("NAME://HOST:PORT,...") with `listener.security.protocol.map`
// ("NAME:PROTOCOL,..."; empty = each name is its protocol).
Result<std::vector<ListenerConfig>> parse_listeners(std::string_view listeners,
                                                    std::string_view protocol_map);

// Kafka's `advertised.listeners` ("NAME://HOST:PORT,...") onto `listeners`, by name.
Status apply_advertised_listeners(std::string_view advertised,
                                  std::vector<ListenerConfig>& listeners);

// `kafka-storage format --add-scram`'s syntax:
// "SCRAM-SHA-256=[name=alice,password=secret]" with an optional iterations=N.
Result<ScramUserConfig> parse_add_scram(std::string_view text);

// Reads a Kafka-style properties file into `config`: listeners, advertised.listeners,
// listener.security.protocol.map, sasl.enabled.mechanisms, log.dirs, broker.id / node.id,
// TLS (ssl.certificate.location, ssl.key.location, ssl.key.password, ssl.ca.location,
// ssl.client.auth, and Kafka's PEM ssl.keystore.location / ssl.truststore.location with
// ssl.keystore.type=PEM), and the other settings runneld has flags for, under their Kafka names
// (runneld --help lists them). Keys runneld does not know are logged and ignored, so that a Kafka
// server.properties can be reused; a value that does not parse is an error.
Status load_server_properties(const std::filesystem::path& path, BrokerConfig& config);

}  // namespace runnel::broker
