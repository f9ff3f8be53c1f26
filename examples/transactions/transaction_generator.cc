#include "examples/transactions/transaction_generator.h"

#include <array>
#include <cmath>
#include <cstdio>

#include "examples/common/cities.h"

namespace runnel::examples {
namespace {

std::string numbered(const char* prefix, std::int64_t n, int width) {
  char buffer[48];
  std::snprintf(buffer, sizeof buffer, "%s%0*lld", prefix, width, static_cast<long long>(n));
  return buffer;
}

}  // namespace

TransactionGenerator::TransactionGenerator(Options options)
    : options_(options), rng_(options.seed), now_ms_(static_cast<double>(options.start_time_ms)) {
  std::uniform_int_distribution<std::size_t> city(0, kCities.size() - 1);
  std::lognormal_distribution<double> typical_amount(std::log(4000.0), 0.6);
  cards_.reserve(static_cast<std::size_t>(options_.cards));
  for (int i = 0; i < options_.cards; ++i) {
    const City& home = kCities[city(rng_)];
    cards_.push_back(
        Card{numbered("card-", i, 6), home.latitude, home.longitude, typical_amount(rng_)});
  }
}

Transaction TransactionGenerator::next() {
  std::uniform_int_distribution<std::size_t> pick_card(0, cards_.size() - 1);
  std::exponential_distribution<double> gap(1.0 / options_.mean_gap_ms);
  std::normal_distribution<double> jitter(0.0, 0.05);  // ~5 km around the home city
  std::lognormal_distribution<double> spread(0.0, 0.4);
  std::uniform_int_distribution<int> merchant(0, 4999);

  const Card& card = cards_[pick_card(rng_)];
  now_ms_ += gap(rng_);

  Transaction t;
  t.set_sequence(sequence_);
  t.set_transaction_id(numbered("tx-", sequence_, 10));
  t.set_card_id(card.id);
  t.set_amount_cents(std::max<std::int64_t>(
      1, static_cast<std::int64_t>(card.typical_amount_cents * spread(rng_))));
  t.set_currency("EUR");
  t.set_merchant_id(numbered("merchant-", merchant(rng_), 4));
  t.set_latitude(card.home_latitude + jitter(rng_));
  t.set_longitude(card.home_longitude + jitter(rng_));
  t.set_timestamp_ms(static_cast<std::int64_t>(now_ms_));
  ++sequence_;
  return t;
}

}  // namespace runnel::examples
