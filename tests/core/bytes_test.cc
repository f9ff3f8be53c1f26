#include "core/bytes.h"

#include <map>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

namespace runnel {
namespace {

TEST(BytesTest, OwnsACopyOfWhatItWasMadeFrom) {
  std::string text = "abc";
  Bytes bytes = Bytes::from_string(text);
  text[0] = 'z';
  EXPECT_EQ(bytes.to_string(), "abc");
  EXPECT_EQ(bytes.size(), 3u);
  EXPECT_EQ(bytes[0], 'a');
}

TEST(BytesTest, ViewsCompareByContent) {
  Bytes a{0x01, 0x02, 0x03};
  Bytes b{0x01, 0x02, 0x03};
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.view(), b.view());
  EXPECT_NE(a.view(), a.view().subview(0, 2));
  EXPECT_EQ(a.view().subview(1), (Bytes{0x02, 0x03}).view());
}

TEST(BytesTest, OrdersLikeUnsignedBytesThenLength) {
  EXPECT_LT(Bytes({0x01}), Bytes({0xff}));  // unsigned: 0xff is the largest byte
  EXPECT_LT(Bytes({0x01}), Bytes({0x01, 0x00}));
  EXPECT_LT(Bytes(), Bytes({0x00}));
  std::map<Bytes, int> sorted{{Bytes({0x80}), 2}, {Bytes({0x7f}), 1}};
  EXPECT_EQ(sorted.begin()->second, 1);
}

TEST(BytesTest, EmptyIsNotNull) {
  NullableBytes null;
  NullableBytes empty = Bytes();
  EXPECT_FALSE(null.has_value());
  EXPECT_TRUE(empty.has_value());
  EXPECT_NE(null, empty);
  EXPECT_FALSE(view_of(null).has_value());
  EXPECT_TRUE(view_of(empty).has_value());
}

TEST(BytesTest, AppendsAndPrintsAsHex) {
  Bytes bytes{0x00, 0xff};
  bytes.append(std::string_view("\x10", 1));
  EXPECT_EQ(to_hex(bytes), "00ff10");
  std::ostringstream os;
  os << bytes;
  EXPECT_EQ(os.str(), "[00ff10]");
}

TEST(BytesTest, PrintingTruncatesLongBuffers) {
  Bytes big;
  big.resize(100);
  std::ostringstream os;
  os << big;
  EXPECT_NE(os.str().find("... 100 bytes]"), std::string::npos);
}

}  // namespace
}  // namespace runnel
