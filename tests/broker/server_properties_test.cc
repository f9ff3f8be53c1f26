#include "broker/server_properties.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

namespace runnel::broker {
namespace {

TEST(ServerPropertiesTest, ListenerFlagTakesANameOrIsNamedAfterItsProtocol) {
  auto named = parse_listener_flag("CLIENTS=SASL_PLAINTEXT://0.0.0.0:9093");
  ASSERT_TRUE(named.ok()) << named.status().to_string();
  EXPECT_EQ(named->name, "CLIENTS");
  EXPECT_EQ(named->security_protocol, "SASL_PLAINTEXT");
  EXPECT_EQ(named->host, "0.0.0.0");
  EXPECT_EQ(named->port, 9093);
  auto unnamed = parse_listener_flag("PLAINTEXT://[::1]:0");
  ASSERT_TRUE(unnamed.ok());
  EXPECT_EQ(unnamed->name, "PLAINTEXT");
  EXPECT_EQ(unnamed->host, "::1");
  EXPECT_EQ(unnamed->port, 0);
  auto any_host = parse_listener_flag("PLAINTEXT://:9092");
  ASSERT_TRUE(any_host.ok());
  EXPECT_EQ(any_host->host, "0.0.0.0");
  EXPECT_FALSE(parse_listener_flag("127.0.0.1:9092").ok());
  EXPECT_FALSE(parse_listener_flag("A=PLAINTEXT://host:99999").ok());
  EXPECT_FALSE(parse_listener_flag("A=PLAINTEXT://host:port").ok());
}

TEST(ServerPropertiesTest, ListenersUseTheProtocolMapAndAdvertisedAddresses) {
  auto listeners = parse_listeners("INTERNAL://127.0.0.1:9092, EXTERNAL://0.0.0.0:9093",
                                   "INTERNAL:PLAINTEXT,EXTERNAL:SASL_PLAINTEXT");
  ASSERT_TRUE(listeners.ok()) << listeners.status().to_string();
  ASSERT_EQ(listeners->size(), 2u);
  EXPECT_EQ((*listeners)[1].name, "EXTERNAL");
  EXPECT_EQ((*listeners)[1].security_protocol, "SASL_PLAINTEXT");
  ASSERT_TRUE(apply_advertised_listeners("EXTERNAL://kafka.example.com:443", *listeners).ok());
  EXPECT_EQ((*listeners)[1].advertised_host, "kafka.example.com");
  EXPECT_EQ((*listeners)[1].advertised_port, 443);
  EXPECT_TRUE((*listeners)[0].advertised_host.empty());
  EXPECT_FALSE(apply_advertised_listeners("NOPE://h:1", *listeners).ok());
}

TEST(ServerPropertiesTest, AddScramTakesKafkaStorageFormatSyntax) {
  auto user = parse_add_scram("SCRAM-SHA-512=[name=alice,password=a,b=c]");
  ASSERT_TRUE(user.ok()) << user.status().to_string();
  EXPECT_EQ(user->mechanism, "SCRAM-SHA-512");
  EXPECT_EQ(user->name, "alice");
  EXPECT_EQ(user->password, "a,b=c");
  EXPECT_EQ(user->iterations, 4096);
  auto iterated = parse_add_scram("SCRAM-SHA-256=[name=bob,iterations=8192,password=x]");
  ASSERT_TRUE(iterated.ok());
  EXPECT_EQ(iterated->iterations, 8192);
  EXPECT_FALSE(parse_add_scram("SCRAM-SHA-256=[name=bob]").ok());
  EXPECT_FALSE(parse_add_scram("SCRAM-SHA-256=name=bob,password=x").ok());
}

TEST(ServerPropertiesTest, AKafkaPropertiesFileSetsRunneldsSettings) {
  std::string pattern = "/tmp/runnel-properties-test-XXXXXX";
  const std::filesystem::path dir = ::mkdtemp(pattern.data());
  const auto path = dir / "server.properties";
  std::ofstream(path) << "# comment\n"
                         "! another\n"
                         "log.dirs=/var/lib/runneld\n"
                         "broker.id = 3\n"
                         "listeners=PLAINTEXT://:9092,\\\n"
                         "  SASL_PLAINTEXT://:9093\n"
                         "advertised.listeners=SASL_PLAINTEXT://broker.example:9093\n"
                         "sasl.enabled.mechanisms=SCRAM-SHA-256,SCRAM-SHA-512\n"
                         "log.retention.hours=24\n"
                         "auto.create.topics.enable=false\n"
                         "num.partitions: 6\n"
                         "zookeeper.connect=localhost:2181\n";
  BrokerConfig config;
  Status loaded = load_server_properties(path, config);
  ASSERT_TRUE(loaded.ok()) << loaded.to_string();
  EXPECT_EQ(config.data_dir, "/var/lib/runneld");
  EXPECT_EQ(config.node_id, 3);
  ASSERT_EQ(config.listeners.size(), 2u);
  EXPECT_EQ(config.listeners[1].security_protocol, "SASL_PLAINTEXT");
  EXPECT_EQ(config.listeners[1].advertised_host, "broker.example");
  EXPECT_EQ(config.sasl_enabled_mechanisms,
            (std::vector<std::string>{"SCRAM-SHA-256", "SCRAM-SHA-512"}));
  EXPECT_EQ(config.log_retention_ms, 24 * 3600000LL);
  EXPECT_FALSE(config.auto_create_topics);
  EXPECT_EQ(config.num_partitions, 6);

  std::ofstream(path) << "num.partitions=many\n";
  EXPECT_FALSE(load_server_properties(path, config).ok());
  std::filesystem::remove_all(dir);
}

TEST(ServerPropertiesTest, TlsSettingsTakeLibrdkafkaAndKafkaPemKeystoreNames) {
  std::string pattern = (std::filesystem::temp_directory_path() / "props-tls-XXXXXX").string();
  const std::filesystem::path dir = ::mkdtemp(pattern.data());
  const auto path = dir / "server.properties";
  std::ofstream(path) << "listeners=SECURE://:9093\n"
                         "listener.security.protocol.map=SECURE:SASL_SSL\n"
                         "ssl.certificate.location=/etc/runneld/server.pem\n"
                         "ssl.key.location=/etc/runneld/server.key\n"
                         "ssl.key.password=secret\n"
                         "ssl.ca.location=/etc/runneld/ca.pem\n"
                         "ssl.client.auth=requested\n";
  BrokerConfig config;
  Status loaded = load_server_properties(path, config);
  ASSERT_TRUE(loaded.ok()) << loaded.to_string();
  EXPECT_EQ(config.listeners.at(0).security_protocol, "SASL_SSL");
  EXPECT_EQ(config.tls.certificate_location, "/etc/runneld/server.pem");
  EXPECT_EQ(config.tls.key_location, "/etc/runneld/server.key");
  EXPECT_EQ(config.tls.key_password, "secret");
  EXPECT_EQ(config.tls.ca_location, "/etc/runneld/ca.pem");
  EXPECT_EQ(config.tls.client_auth, TlsClientAuth::kRequested);

  // Kafka's PEM keystore holds the key and the certificate; its truststore the CAs.
  std::ofstream(path) << "ssl.keystore.location=/etc/runneld/keystore.pem\n"
                         "ssl.keystore.type=PEM\n"
                         "ssl.truststore.location=/etc/runneld/truststore.pem\n"
                         "ssl.truststore.type=PEM\n";
  BrokerConfig kafka;
  loaded = load_server_properties(path, kafka);
  ASSERT_TRUE(loaded.ok()) << loaded.to_string();
  EXPECT_EQ(kafka.tls.certificate_location, "/etc/runneld/keystore.pem");
  EXPECT_EQ(kafka.tls.key_location, "/etc/runneld/keystore.pem");
  EXPECT_EQ(kafka.tls.ca_location, "/etc/runneld/truststore.pem");

  std::ofstream(path) << "ssl.keystore.type=JKS\n";
  EXPECT_NE(load_server_properties(path, kafka).message().find("PEM files only"),
            std::string::npos);
  std::ofstream(path) << "ssl.client.auth=sometimes\n";
  EXPECT_FALSE(load_server_properties(path, kafka).ok());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace runnel::broker
