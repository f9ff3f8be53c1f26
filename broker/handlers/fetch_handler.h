#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "broker/handlers/access.h"
#include "broker/handlers/broker_context.h"
#include "broker/handlers/handler.h"
#include "broker/protocol/generated/fetch_request.h"
#include "broker/protocol/generated/fetch_response.h"
#include "core/bytes.h"

namespace runnel::broker {

// A Fetch response and the record bytes its `records` views point into. Moving a FetchResult
// keeps the views valid (the buffers' storage does not move).
struct FetchResult {
  FetchResponse response;
  std::vector<Bytes> record_buffers;
};

using FetchCompletion = std::function<void(FetchResult)>;

// Fetch with long polling. Reads every requested partition from its fetch offset and answers
// at once when the data found reaches `min_bytes`, when `max_wait_ms` is 0, or when a
// partition has an error; otherwise waits on `executor` until an append brings enough data or
// `max_wait_ms` passes, and answers with whatever there is then.
//
// Per partition: whole record batches, the first containing the fetch offset, at most
// `partition_max_bytes`; across partitions at most `max_bytes`, except that the first batch
// returned is returned whole even when larger (KIP-74), or a consumer would stall on it. An
// offset equal to the high watermark is valid and returns nothing; one above it or below the
// log start offset gets OFFSET_OUT_OF_RANGE with both offsets, so the client can reset.
// With no transactions yet, the last stable offset equals the high watermark.
//
// Fetch sessions (v7+) are declined: the response's session id is always 0, which tells the
// client to send full requests. `done` is called exactly once, on `executor` or the caller's
// thread.
void handle_fetch(BrokerContext& context, const Access& access, FetchRequest request,
                  int16_t version, boost::asio::any_io_executor executor, FetchCompletion done);

// Fetch as runneld serves it (why these versions: handlers.h); answers when handle_fetch
// completes, from whichever thread completes it.
struct FetchHandler : HandlerTraits<FetchRequest, 4, 12> {
  static void handle(const HandlerCall& call, FetchRequest request, const Responder& respond);
};

}  // namespace runnel::broker
