// runnel --command-config: a Kafka client properties file, as Kafka's tools read it, into the
// connection settings.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "tools/cluster_connection.h"

namespace runnel::tools {
namespace {

class CommandConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "command-config-XXXXXX");
    dir_ = ::mkdtemp(pattern.data());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string write(const std::string& text) {
    const auto path = dir_ / "client.properties";
    std::ofstream(path) << text;
    return path;
  }
  std::filesystem::path dir_;
};

TEST_F(CommandConfigTest, ReadsJavaJaasAndPemStores) {
  ClusterConnection cluster;
  Status loaded = load_command_config(
      write("# Kafka's tools' client.properties\n"
            "security.protocol=SASL_SSL\n"
            "sasl.mechanism=SCRAM-SHA-512\n"
            "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required "
            "username=\"alice\" password=\"s3cret=,;\";\n"
            "ssl.truststore.location=/etc/ca.pem\n"
            "ssl.truststore.type=PEM\n"
            "ssl.keystore.location=/etc/alice.pem\n"
            "ssl.keystore.type=PEM\n"),
      cluster);
  ASSERT_TRUE(loaded.ok()) << loaded.to_string();
  EXPECT_EQ(cluster.security_protocol, "SASL_SSL");
  EXPECT_TRUE(cluster.uses_tls());
  EXPECT_TRUE(cluster.uses_sasl());
  EXPECT_EQ(cluster.sasl_mechanism, "SCRAM-SHA-512");
  EXPECT_EQ(cluster.sasl_username, "alice");
  EXPECT_EQ(cluster.sasl_password, "s3cret=,;");
  EXPECT_EQ(cluster.tls.ca_location, "/etc/ca.pem");
  EXPECT_EQ(cluster.tls.certificate_location, "/etc/alice.pem");
  EXPECT_EQ(cluster.tls.key_location, "/etc/alice.pem");
  const client::ClientConfig config = cluster.client_config();
  EXPECT_EQ(config.at("security.protocol"), "SASL_SSL");
  EXPECT_EQ(config.at("ssl.ca.location"), "/etc/ca.pem");
  EXPECT_EQ(config.at("sasl.username"), "alice");
}

TEST_F(CommandConfigTest, ReadsLibrdkafkaNames) {
  ClusterConnection cluster;
  ASSERT_TRUE(load_command_config(write("security.protocol=SSL\n"
                                        "ssl.ca.location=/ca.pem\n"
                                        "ssl.certificate.location=/c.pem\n"
                                        "ssl.key.location=/c.key\n"
                                        "ssl.key.password=pw\n"
                                        "bootstrap.servers=broker:9094\n"),
                                  cluster)
                  .ok());
  EXPECT_EQ(cluster.bootstrap_server, "broker:9094");
  EXPECT_TRUE(cluster.uses_tls());
  EXPECT_FALSE(cluster.uses_sasl());
  EXPECT_EQ(cluster.tls.certificate_location, "/c.pem");
  EXPECT_EQ(cluster.tls.key_location, "/c.key");
  EXPECT_EQ(cluster.tls.key_password, "pw");
  EXPECT_EQ(cluster.client_config().count("sasl.username"), 0u);
}

TEST_F(CommandConfigTest, RefusesWhatRunnelCannotUse) {
  ClusterConnection cluster;
  EXPECT_FALSE(load_command_config((dir_ / "missing.properties").string(), cluster).ok());
  EXPECT_NE(load_command_config(write("ssl.truststore.type=JKS\n"), cluster)
                .message()
                .find("PEM files only"),
            std::string::npos);
  EXPECT_FALSE(load_command_config(write("security.protocol=KERBEROS\n"), cluster).ok());
  EXPECT_FALSE(load_command_config(write("no separator here\n"), cluster).ok());
}

}  // namespace
}  // namespace runnel::tools
