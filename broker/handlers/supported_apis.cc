#include "broker/handlers/supported_apis.h"

#include <array>

#include "broker/handlers/handlers.h"

namespace runnel::broker {
namespace {

template <typename... Handlers>
constexpr std::array<ApiVersionRange, sizeof...(Handlers)> ranges_of(
    HandlerList<Handlers...> /*list*/) {
  return {ApiVersionRange{Handlers::kApiKey, Handlers::kMinVersion, Handlers::kMaxVersion}...};
}

// Why each range stops where it does: next to the list, in handlers.h.
constexpr auto kSupportedApis = ranges_of(ServedApis{});

template <size_t kCount>
constexpr bool api_keys_unique(const std::array<ApiVersionRange, kCount>& apis) {
  for (size_t i = 0; i < kCount; ++i) {
    for (size_t j = i + 1; j < kCount; ++j) {
      if (apis[i].api_key == apis[j].api_key) return false;
    }
  }
  return true;
}
static_assert(api_keys_unique(kSupportedApis), "an API is listed twice in ServedApis");

}  // namespace

std::span<const ApiVersionRange> supported_apis() { return kSupportedApis; }

std::optional<ApiVersionRange> supported_range(int16_t api_key) {
  for (const ApiVersionRange& range : kSupportedApis) {
    if (range.api_key == api_key) return range;
  }
  return std::nullopt;
}

}  // namespace runnel::broker
