// libFuzzer target: the connection layer's framing. An arbitrary byte stream, split into
// arbitrary chunks, is fed to a FrameAssembler through prepare/commit (as the socket reader
// does, with short reads) and, separately, in one piece through feed().
//
// Beyond "never crashes, never reads or writes out of bounds", both must agree on the frames
// and on whether the stream is malformed (framing cannot depend on how bytes arrive), every
// frame respects the size limits, and the buffer of a frame never outgrows its announced size.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <vector>

#include <fuzzer/FuzzedDataProvider.h>

#include "broker/server/frame_assembler.h"

namespace {

using runnel::Bytes;
using runnel::BytesView;
using runnel::broker::FrameAssembler;

void check(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "frame_assembler_fuzz: %s\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider input(data, size);
  const int64_t max_frame = input.ConsumeIntegralInRange<int64_t>(8, 1 << 16);
  const std::vector<uint8_t> split =
      input.ConsumeBytes<uint8_t>(input.ConsumeIntegralInRange<size_t>(0, 64));
  const std::vector<uint8_t> stream = input.ConsumeRemainingBytes<uint8_t>();

  // In one piece.
  FrameAssembler whole(max_frame);
  std::vector<Bytes> expected;
  const bool whole_ok = whole.feed(BytesView(stream.data(), stream.size()), expected).ok();

  // In chunks, through prepare/commit, with reads shorter than the room offered.
  FrameAssembler chunked(max_frame);
  std::vector<Bytes> frames;
  bool chunked_ok = true;
  size_t at = 0;
  size_t step = 0;
  while (at < stream.size()) {
    const size_t offer = split.empty() ? 4096 : 1 + split[step % split.size()] * 7;
    const size_t take = split.empty() ? offer : 1 + split[(step + 1) % split.size()] % offer;
    ++step;
    const std::span<uint8_t> room = chunked.prepare(offer);
    if (room.empty()) {
      chunked_ok = false;  // only after an error does it offer no room
      break;
    }
    const size_t count = std::min({take, room.size(), stream.size() - at});
    std::memcpy(room.data(), stream.data() + at, count);
    at += count;
    if (!chunked.commit(count).ok()) {
      chunked_ok = false;
      break;
    }
    if (const auto announced = chunked.announced_size()) {
      check(chunked.buffered_capacity() <= static_cast<size_t>(*announced),
            "a frame's buffer outgrew its announced size");
    }
    if (chunked.frame_ready()) frames.push_back(chunked.take_frame());
  }

  check(whole_ok == chunked_ok, "chunking changed whether the stream is malformed");
  check(frames.size() == expected.size(), "chunking changed the number of frames");
  for (size_t i = 0; i < frames.size(); ++i) {
    check(frames[i] == expected[i], "chunking changed a frame");
    check(frames[i].size() >= FrameAssembler::kMinimumFrameSize, "a frame below the minimum");
    check(static_cast<int64_t>(frames[i].size()) <= max_frame, "a frame above the maximum");
  }
  return 0;
}
