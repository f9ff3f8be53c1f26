// How much a decode allocates from what a request claims, measured by replacing the global
// operator new in this test binary. A request's counts are untrusted: one whose first element
// is already malformed must be refused without reserving memory for all it claims.
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <vector>

#include <gtest/gtest.h>

#include "broker/protocol/generated/create_topics_request.h"
#include "broker/protocol/generated/produce_request.h"
#include "broker/protocol/wire_reader.h"
#include "broker/protocol/wire_writer.h"

namespace {

std::atomic<bool> tracking{false};
std::atomic<size_t> largest_allocation{0};

}  // namespace

// GCC sees these malloc/free pairs inlined at new/delete call sites and warns of a mismatch
// that is not one: the replacement new and delete are each other's pair.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

void* operator new(size_t size) {
  if (tracking.load(std::memory_order_relaxed)) {
    size_t seen = largest_allocation.load(std::memory_order_relaxed);
    while (size > seen && !largest_allocation.compare_exchange_weak(seen, size)) {
    }
  }
  void* p = std::malloc(size == 0 ? 1 : size);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace runnel::broker {
namespace {

// The largest single allocation `decode` makes.
template <typename Decode>
size_t largest_allocation_of(Decode decode) {
  largest_allocation = 0;
  tracking = true;
  decode();
  tracking = false;
  return largest_allocation;
}

// A body of `size` bytes: an int32 array count claiming one element per remaining byte, then
// a first element whose leading string length is -2 (malformed), then zeros.
std::vector<uint8_t> body_claiming_every_byte(size_t size) {
  std::vector<uint8_t> body(size, 0);
  const auto count = static_cast<uint32_t>(size - 4);
  body[0] = static_cast<uint8_t>(count >> 24);
  body[1] = static_cast<uint8_t>(count >> 16);
  body[2] = static_cast<uint8_t>(count >> 8);
  body[3] = static_cast<uint8_t>(count);
  body[4] = 0xff;
  body[5] = 0xfe;
  return body;
}

TEST(DecodeAllocation, RefusesAnAbsurdCountInASmallRequestWithoutAllocating) {
  std::vector<uint8_t> body = {0x7f, 0xff, 0xff, 0xff};
  body.resize(20, 0);
  CreateTopicsRequest request;
  WireReader reader(BytesView(body.data(), body.size()));
  Status status;
  const size_t largest = largest_allocation_of([&] { status = request.decode(reader, 0); });
  ASSERT_FALSE(status.ok());
  EXPECT_LT(largest, 1024u);
}

// Regression test: the generated decode once did `reserve(count)` with the count checked only
// against the bytes remaining, so each claimed element cost sizeof(element) bytes (88 for
// CreatableTopic) where the wire spends one: a 1 MiB request reserved 88 MiB before its first
// element was read, and one request at socket_request_max_bytes (100 MiB) about 9 GB.
// WireReader::reserve_for now caps a reservation at the bytes still unread.
TEST(DecodeAllocation, RefusesARequestWhoseFirstElementIsMalformedWithoutReservingItsClaimedCount) {
  const size_t request_size = 1 << 20;
  const std::vector<uint8_t> body = body_claiming_every_byte(request_size);
  {
    CreateTopicsRequest request;
    WireReader reader(BytesView(body.data(), body.size()));
    Status status;
    const size_t largest = largest_allocation_of([&] { status = request.decode(reader, 0); });
    ASSERT_FALSE(status.ok());
    EXPECT_LE(largest, request_size)
        << "CreateTopics v0: a " << request_size << "-byte request reserved " << largest
        << " bytes (sizeof(CreatableTopic) = " << sizeof(CreateTopicsRequest::CreatableTopic)
        << ")";
  }
  {
    // Produce: acks, timeout, then the topic array.
    std::vector<uint8_t> produce = {0, 1, 0, 0, 0x75, 0x30};
    produce.insert(produce.end(), body.begin(), body.end());
    ProduceRequest request;
    WireReader reader(BytesView(produce.data(), produce.size()));
    Status status;
    const size_t largest = largest_allocation_of([&] { status = request.decode(reader, 0); });
    ASSERT_FALSE(status.ok());
    EXPECT_LE(largest, request_size)
        << "Produce v0: a " << produce.size() << "-byte request reserved " << largest
        << " bytes (sizeof(TopicProduceData) = " << sizeof(ProduceRequest::TopicProduceData) << ")";
  }
}

}  // namespace
}  // namespace runnel::broker
