#include "broker/server/frame_assembler.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/big_endian.h"
#include "tests/broker/server/framed.h"

namespace runnel::broker {
namespace {

std::string prefix_only(int32_t size) {
  std::string out(4, '\0');
  store_big_endian<int32_t>(reinterpret_cast<uint8_t*>(out.data()), size);
  return out;
}

TEST(FrameAssemblerTest, CutsAStreamIntoFramesWhateverTheChunks) {
  const std::string stream =
      framed("first-request") + framed("second-request") + framed(std::string(5000, 'x'));
  for (size_t chunk : {1ul, 2ul, 3ul, 7ul, 4096ul, stream.size()}) {
    FrameAssembler assembler(1 << 20);
    std::vector<Bytes> frames;
    for (size_t at = 0; at < stream.size(); at += chunk) {
      ASSERT_TRUE(
          assembler.feed(BytesView(std::string_view(stream).substr(at, chunk)), frames).ok());
    }
    ASSERT_EQ(frames.size(), 3u) << "chunk " << chunk;
    EXPECT_EQ(frames[0].to_string(), "first-request");
    EXPECT_EQ(frames[1].to_string(), "second-request");
    EXPECT_EQ(frames[2].to_string(), std::string(5000, 'x'));
    EXPECT_FALSE(assembler.frame_started());
  }
}

TEST(FrameAssemblerTest, AnAnnouncedHugeFrameCostsOnlyTheBytesThatArrived) {
  FrameAssembler assembler(200 << 20);
  std::vector<Bytes> frames;
  ASSERT_TRUE(assembler.feed(BytesView(prefix_only(100 << 20)), frames).ok());
  EXPECT_EQ(assembler.announced_size(), 100 << 20);
  EXPECT_EQ(assembler.buffered_capacity(), 0u);
  ASSERT_TRUE(assembler.feed(BytesView(std::string(1000, 'a')), frames).ok());
  EXPECT_TRUE(frames.empty());
  EXPECT_LE(assembler.buffered_capacity(), 2000u);
}

TEST(FrameAssemblerTest, ReadsNeverReachIntoTheNextFrame) {
  FrameAssembler assembler(1 << 20);
  EXPECT_EQ(assembler.wanted(), 4u);
  EXPECT_EQ(assembler.prepare(1000).size(), 4u);
  const std::string prefix = prefix_only(10);
  auto room = assembler.prepare(4);
  std::copy(prefix.begin(), prefix.end(), room.begin());
  ASSERT_TRUE(assembler.commit(4).ok());
  EXPECT_EQ(assembler.wanted(), 10u);
  room = assembler.prepare(64 * 1024);
  ASSERT_EQ(room.size(), 10u);
  std::fill(room.begin(), room.begin() + 3, 'z');
  ASSERT_TRUE(assembler.commit(3).ok());  // a short read
  EXPECT_FALSE(assembler.frame_ready());
  EXPECT_EQ(assembler.wanted(), 7u);
  room = assembler.prepare(64 * 1024);
  std::fill(room.begin(), room.end(), 'z');
  ASSERT_TRUE(assembler.commit(room.size()).ok());
  ASSERT_TRUE(assembler.frame_ready());
  EXPECT_EQ(assembler.wanted(), 0u);
  EXPECT_EQ(assembler.take_frame().to_string(), std::string(10, 'z'));
  EXPECT_EQ(assembler.wanted(), 4u);
}

TEST(FrameAssemblerTest, AFrameAboveTheMaximumIsAnErrorBeforeItsBodyIsRead) {
  FrameAssembler assembler(1000);
  std::vector<Bytes> frames;
  const Status status = assembler.feed(BytesView(prefix_only(1001)), frames);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("socket.request.max.bytes"), std::string::npos);
  EXPECT_EQ(assembler.wanted(), 0u);
  EXPECT_FALSE(assembler.feed(BytesView(std::string("more")), frames).ok());
}

TEST(FrameAssemblerTest, AFrameTooShortForARequestHeaderIsAnError) {
  for (int32_t size : {-1, 0, 7}) {
    FrameAssembler assembler(1000);
    std::vector<Bytes> frames;
    EXPECT_EQ(assembler.feed(BytesView(prefix_only(size)), frames).code(),
              StatusCode::kInvalidArgument)
        << size;
  }
}

TEST(FrameAssemblerTest, AFrameStartsWithItsFirstPrefixByte) {
  FrameAssembler assembler(1000);
  std::vector<Bytes> frames;
  EXPECT_FALSE(assembler.frame_started());
  ASSERT_TRUE(assembler.feed(BytesView(std::string(1, '\0')), frames).ok());
  EXPECT_TRUE(assembler.frame_started());
  EXPECT_FALSE(assembler.announced_size().has_value());
}

}  // namespace
}  // namespace runnel::broker
