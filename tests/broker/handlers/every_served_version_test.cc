// Every (API, version) runneld advertises in ApiVersions is answered: a request built by the
// generated encoder, with the fewest fields a client could send, gets a response that the
// generated decoder for that version reads to its last byte, after the response header
// version that API and version call for. No advertised version may be left unserved, and no
// version may be advertised whose answer a client would fail to parse.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "broker/coordinator/group_coordinator.h"
#include "broker/coordinator/offset_store.h"
#include "broker/coordinator/producer_id_manager.h"
#include "broker/coordinator/transaction_coordinator.h"
#include "broker/handlers/handlers.h"
#include "broker/handlers/request_dispatcher.h"
#include "broker/protocol/api_key.h"
#include "broker/protocol/error_code.h"
#include "broker/protocol/request_header.h"
#include "broker/protocol/wire_reader.h"
#include "broker/protocol/wire_writer.h"
#include "broker/security/credential_store.h"
#include "core/clock.h"
#include "tests/broker/handlers/dispatcher_test_base.h"
#include "tests/broker/handlers/minimal_request.h"

namespace runnel::broker {
namespace {

using namespace std::chrono_literals;

using test_requests::frame_of;
using test_requests::kMinimalRequestTopic;
using test_requests::minimal_request;

class EveryServedVersionTest : public testing::DispatcherTestBase {
 protected:
  void SetUp() override {
    open_broker("every-version-test", 1);
    ASSERT_TRUE(logs_->create_topic(kMinimalRequestTopic, 1, {}, false).ok());
  }

  // Hands `frame` to the dispatcher, each on a session of its own (a SASL exchange must not
  // leave state for the next request), and returns its outcome, or nullopt if none came.
  std::optional<HandlerOutcome> call(const Bytes& frame) {
    auto outcome = std::make_shared<std::promise<HandlerOutcome>>();
    RequestContext request_context{.connection_id = 1,
                                   .peer = "127.0.0.1:1",
                                   .executor = io_.get_executor(),
                                   .session = std::make_shared<ConnectionSession>()};
    dispatcher_->handle(request_context, frame.view(), [outcome](HandlerOutcome result) {
      outcome->set_value(std::move(result));
    });
    std::future<HandlerOutcome> answer = outcome->get_future();
    // A bound on a hang only (every request here is answered without waiting), so that a
    // handler that never answers fails the test instead of stalling it.
    if (answer.wait_for(60s) != std::future_status::ready) return std::nullopt;
    return answer.get();
  }

  // Sends `Handler`'s minimal request at `version` and checks the answer decodes exactly.
  template <typename Handler>
  void expect_answered(int16_t version) {
    using Request = typename Handler::Request;
    using Response = typename Request::Response;
    SCOPED_TRACE(std::string(api_name(Request::kApiKey)) + " v" + std::to_string(version));
    const int32_t correlation_id = 1000 + version;
    std::optional<HandlerOutcome> outcome =
        call(frame_of(minimal_request<Request>(), version, correlation_id));
    ASSERT_TRUE(outcome.has_value()) << "no answer";
    ASSERT_TRUE(outcome->response.has_value()) << "the connection was closed without an answer";
    WireReader reader(outcome->response->view());
    int32_t answered_id = 0;
    ASSERT_TRUE(reader.read_int32(answered_id).ok());
    EXPECT_EQ(answered_id, correlation_id);
    if (response_header_version(Request::kApiKey, version) >= 1) {
      uint32_t tagged_fields = 0;
      ASSERT_TRUE(reader.read_uvarint(tagged_fields).ok());
      EXPECT_EQ(tagged_fields, 0u);
    }
    Response response;
    const Status decoded = response.decode(reader, version);
    EXPECT_TRUE(decoded.ok()) << decoded.to_string();
    EXPECT_EQ(reader.remaining(), 0u) << "bytes left after the response";
  }
};

TEST_F(EveryServedVersionTest, EveryAdvertisedApiAndVersionIsAnsweredInAResponseThatDecodes) {
  // What runneld advertises, asked as librdkafka asks first (ApiVersions v3).
  std::optional<HandlerOutcome> outcome =
      call(frame_of(minimal_request<ApiVersionsRequest>(), 3, 1));
  ASSERT_TRUE(outcome.has_value() && outcome->response.has_value());
  WireReader reader(outcome->response->view());
  int32_t correlation_id = 0;
  ASSERT_TRUE(reader.read_int32(correlation_id).ok());
  ApiVersionsResponse advertised;
  ASSERT_TRUE(advertised.decode(reader, 3).ok());
  ASSERT_EQ(advertised.error_code, static_cast<int16_t>(ErrorCode::kNone));
  ASSERT_EQ(advertised.api_keys.size(), ServedApis::kSize);

  for (const auto& api : advertised.api_keys) {
    ASSERT_LE(api.min_version, api.max_version) << api_name(api.api_key);
    for (int16_t version = api.min_version; version <= api.max_version; ++version) {
      const bool found = visit_handler(ServedApis{}, api.api_key, [&]<typename Handler>() {
        expect_answered<Handler>(version);
      });
      EXPECT_TRUE(found) << api_name(api.api_key) << " is advertised but has no handler";
    }
  }
}

// Clients that prefer flexible versions (librdkafka 2.3+, the Java client 3.x, franz-go) find
// one for every API whose schema has any: the newest served version is flexible.
template <typename... Handlers>
void expect_flexible_where_the_schema_is(HandlerList<Handlers...> /*list*/) {
  (
      [] {
        using Request = typename Handlers::Request;
        const bool schema_flexible =
            request_header_version(Request::kApiKey, Request::kMaxVersion) >= 2;
        const bool served_flexible =
            request_header_version(Request::kApiKey, Handlers::kMaxVersion) >= 2;
        EXPECT_EQ(served_flexible, schema_flexible)
            << api_name(Request::kApiKey) << " is served up to v" << Handlers::kMaxVersion;
      }(),
      ...);
}

TEST(ServedApis, TheNewestServedVersionOfEachApiIsFlexibleWhereItsSchemaHasFlexibleVersions) {
  expect_flexible_where_the_schema_is(ServedApis{});
}

}  // namespace
}  // namespace runnel::broker
