// The member info a stream thread's consumer carries to its group (application.server), as
// old, current and newer members encode it, and the host -> partitions map every member reads
// back from the group's description.

#include "runtime/internal/member_info.h"

#include <gtest/gtest.h>

namespace runnel::internal {
namespace {

MemberInfo info_at(const std::string& host, std::int32_t port) {
  MemberInfo info;
  info.process_id = "5f0c2a3e-0d5b-4c36-9a53-4a5c2a1b7e11";
  info.application_server = HostInfo{host, port};
  return info;
}

TEST(HostInfoTest, ParsesHostAndPortAndRefusesWhatIsNotOne) {
  EXPECT_EQ(HostInfo::parse("127.0.0.1:8080").value(), (HostInfo{"127.0.0.1", 8080}));
  EXPECT_EQ(HostInfo::parse("ledger-3.internal:7070").value(),
            (HostInfo{"ledger-3.internal", 7070}));
  EXPECT_EQ(HostInfo::parse("[::1]:9000").value(), (HostInfo{"::1", 9000}));
  EXPECT_EQ((HostInfo{"::1", 9000}).to_string(), "[::1]:9000");
  EXPECT_EQ((HostInfo{"localhost", 80}).to_string(), "localhost:80");
  for (const char* bad : {"", "localhost", ":8080", "localhost:", "localhost:0", "host:65536",
                          "host:80x", "a|b:80"}) {
    EXPECT_EQ(HostInfo::parse(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(MemberInfoTest, TheCurrentVersionReadsBackWhatItWrote) {
  const MemberInfo info = info_at("10.0.0.7", 7070);
  const std::string client_id = encode_member_info("app-StreamThread-1-consumer", info);
  EXPECT_TRUE(client_id.starts_with("app-StreamThread-1-consumer|"));
  const MemberInfo back = decode_member_info(client_id);
  EXPECT_EQ(back.version, MemberInfo::kLatestVersion);
  EXPECT_EQ(back.latest_supported_version, MemberInfo::kLatestVersion);
  EXPECT_EQ(back.process_id, info.process_id);
  EXPECT_EQ(back.application_server, info.application_server);
}

TEST(MemberInfoTest, AMemberFromBeforeTheEncodingIsVersionZeroWithNoHost) {
  for (const char* old : {"app-StreamThread-1-consumer", "", "rdkafka", "x|y|z"}) {
    const MemberInfo info = decode_member_info(old);
    EXPECT_EQ(info.version, 0) << old;
    EXPECT_FALSE(info.application_server.has_value()) << old;
  }
}

TEST(MemberInfoTest, ANewerVersionsAddedFieldsAreSkippedAndItsHostIsRead) {
  // Version 2 as a later Runnel would write it: version 1's fields first, then its own.
  const std::string v2 = "app-StreamThread-2-consumer|rs|2|2|pid-9|10.0.0.8:7070|rack-a|42";
  const MemberInfo info = decode_member_info(v2);
  EXPECT_EQ(info.version, 2);
  EXPECT_EQ(info.latest_supported_version, 2);
  EXPECT_EQ(info.process_id, "pid-9");
  EXPECT_EQ(info.application_server, (HostInfo{"10.0.0.8", 7070}));
}

TEST(MemberInfoTest, AMemberWithoutApplicationServerNamesNoHost) {
  MemberInfo info;
  info.process_id = "pid-1";
  const MemberInfo back = decode_member_info(encode_member_info("c", info));
  EXPECT_EQ(back.version, 1);
  EXPECT_EQ(back.process_id, "pid-1");
  EXPECT_FALSE(back.application_server.has_value());
}

TEST(MemberInfoTest, AUserClientIdWithTheSeparatorOrMarkerStillDecodes) {
  const std::string client_id = encode_member_info("team|rs|svc", info_at("h", 1));
  EXPECT_EQ(decode_member_info(client_id).application_server, (HostInfo{"h", 1}));
}

TEST(MemberInfoTest, DamagedInfoIsVersionZeroNeverAnError) {
  for (const char* bad : {"c|rs|", "c|rs|1", "c|rs|1|1|pid", "c|rs|x|1|pid|h:1", "c|rs|0|1|pid|h:1",
                          "c|rs|1|1|pid|h:notaport"}) {
    const MemberInfo info = decode_member_info(bad);
    EXPECT_EQ(info.version, 0) << bad;
    EXPECT_FALSE(info.application_server.has_value()) << bad;
  }
}

TEST(MemberInfoTest, TheGroupAssignmentMapsEachHostToItsThreadsPartitions) {
  client::GroupDescription group;
  group.state = "Stable";
  const std::string a = encode_member_info("a-1", info_at("10.0.0.1", 80));
  const std::string a2 = encode_member_info("a-2", info_at("10.0.0.1", 80));
  const std::string b = encode_member_info("b-1", info_at("10.0.0.2", 80));
  group.members = {
      {"m1", "", a, "/10.0.0.1", {{"words", 0}, {"app-x-repartition", 0}}},
      {"m2", "", a2, "/10.0.0.1", {{"words", 1}}},
      {"m3", "", b, "/10.0.0.2", {{"words", 2}, {"words", 3}}},
      // An older member names no host: it is left out, as Kafka Streams leaves it out.
      {"m4", "", "old-consumer", "/10.0.0.3", {{"words", 4}}},
  };
  const GroupAssignment assignment = group_assignment(group);
  ASSERT_EQ(assignment.size(), 2u);
  const HostPartitions& first = assignment.at(HostInfo{"10.0.0.1", 80});
  EXPECT_EQ(first.active, (std::set<client::TopicPartition>{
                              {"app-x-repartition", 0}, {"words", 0}, {"words", 1}}));
  EXPECT_TRUE(first.standby.empty());
  EXPECT_EQ(assignment.at((HostInfo{"10.0.0.2", 80})).active,
            (std::set<client::TopicPartition>{{"words", 2}, {"words", 3}}));
}

}  // namespace
}  // namespace runnel::internal
