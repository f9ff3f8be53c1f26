#include "examples/fraud_detection/fraud_scenario.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <map>
#include <random>

#include "examples/common/cities.h"
#include "examples/fraud_detection/fraud_rules.h"

namespace runnel::examples::fraud {
namespace {

constexpr std::array<const char*, 8> kFirstNames = {"Ada",  "Boris", "Chloe", "Dario",
                                                    "Elif", "Femi",  "Greta", "Hugo"};
constexpr std::array<const char*, 8> kLastNames = {"Novak", "Laurent", "Garcia", "Rossi",
                                                   "Kowal", "Silva",   "Huber",  "Visser"};

struct Card {
  CardHolder holder;
  double typical_amount_cents;
};

class Builder {
 public:
  explicit Builder(const FraudScenario::Options& options) : options_(options), rng_(options.seed) {}

  FraudScenario build() {
    make_cards();
    make_normal_traffic();
    const auto count = static_cast<std::int64_t>(std::llround(
        static_cast<double>(options_.transactions) / 10'000.0 * options_.incidents_per_10k));
    // Cards are drawn without replacement so incidents never share a card's history.
    std::vector<std::size_t> order(cards_.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::shuffle(order.begin(), order.end(), rng_);
    std::size_t next_card = 0;
    for (std::int64_t i = 0; i < count && next_card + 3 <= order.size(); ++i) {
      inject_velocity(order[next_card++]);
      inject_amount_spike(order[next_card++]);
      inject_impossible_travel(order[next_card++]);
    }
    std::stable_sort(scenario_.transactions.begin(), scenario_.transactions.end(),
                     [](const Transaction& a, const Transaction& b) {
                       return a.timestamp_ms() < b.timestamp_ms();
                     });
    std::int64_t sequence = 0;
    for (Transaction& t : scenario_.transactions) t.set_sequence(sequence++);
    std::sort(scenario_.incidents.begin(), scenario_.incidents.end(),
              [](const Incident& a, const Incident& b) { return a.start_ms < b.start_ms; });
    return std::move(scenario_);
  }

 private:
  void make_cards() {
    std::uniform_int_distribution<std::size_t> city(0, kCities.size() - 1);
    std::uniform_int_distribution<std::size_t> name(0, kFirstNames.size() - 1);
    std::lognormal_distribution<double> typical_amount(std::log(4000.0), 0.6);
    for (int i = 0; i < options_.cards; ++i) {
      const City& home = kCities[city(rng_)];
      Card card;
      char id[32];
      std::snprintf(id, sizeof id, "card-%06d", i);
      card.holder.set_card_id(id);
      card.holder.set_name(std::string(kFirstNames[name(rng_)]) + " " + kLastNames[name(rng_)]);
      card.holder.set_home_city(home.name);
      card.holder.set_home_latitude(home.latitude);
      card.holder.set_home_longitude(home.longitude);
      card.typical_amount_cents = typical_amount(rng_);
      cards_.push_back(card);
      scenario_.holders.push_back(card.holder);
    }
  }

  Transaction make(const Card& card, std::int64_t time_ms, double latitude, double longitude,
                   std::int64_t amount_cents) {
    std::uniform_int_distribution<int> merchant(0, 4999);
    Transaction t;
    char id[32];
    std::snprintf(id, sizeof id, "tx-%010lld", static_cast<long long>(next_id_++));
    t.set_transaction_id(id);
    t.set_card_id(card.holder.card_id());
    t.set_amount_cents(std::max<std::int64_t>(1, amount_cents));
    t.set_currency("EUR");
    std::snprintf(id, sizeof id, "merchant-%04d", merchant(rng_));
    t.set_merchant_id(id);
    t.set_latitude(latitude);
    t.set_longitude(longitude);
    t.set_timestamp_ms(time_ms);
    return t;
  }

  // Near home (~5 km), at about the card's typical amount.
  Transaction at_home(const Card& card, std::int64_t time_ms) {
    std::normal_distribution<double> jitter(0.0, 0.05);
    std::lognormal_distribution<double> spread(0.0, 0.4);
    return make(card, time_ms, card.holder.home_latitude() + jitter(rng_),
                card.holder.home_longitude() + jitter(rng_),
                static_cast<std::int64_t>(card.typical_amount_cents * spread(rng_)));
  }

  void make_normal_traffic() {
    std::uniform_int_distribution<std::size_t> pick_card(0, cards_.size() - 1);
    std::exponential_distribution<double> gap(1.0 / options_.mean_gap_ms);
    double now = static_cast<double>(options_.start_time_ms);
    for (std::int64_t i = 0; i < options_.transactions; ++i) {
      now += gap(rng_);
      const std::size_t card = pick_card(rng_);
      scenario_.transactions.push_back(at_home(cards_[card], static_cast<std::int64_t>(now)));
      history_[card].push_back(static_cast<std::int64_t>(now));
    }
    end_ms_ = static_cast<std::int64_t>(now);
  }

  // A time in the middle 80% of the run, when a card has history and the run goes on.
  std::int64_t incident_time() {
    const std::int64_t span = end_ms_ - options_.start_time_ms;
    std::uniform_int_distribution<std::int64_t> at(options_.start_time_ms + span / 10,
                                                   end_ms_ - span / 10);
    return at(rng_);
  }

  void record(Rule rule, const Card& card, const std::vector<Transaction>& made) {
    Incident incident;
    incident.rule = rule;
    incident.card_id = card.holder.card_id();
    incident.start_ms = made.front().timestamp_ms();
    incident.end_ms = made.back().timestamp_ms();
    for (const Transaction& t : made) {
      incident.transaction_ids.push_back(t.transaction_id());
      scenario_.transactions.push_back(t);
    }
    scenario_.incidents.push_back(std::move(incident));
  }

  // A burst of 12 transactions within 30 s: at least one window holds all of them.
  void inject_velocity(std::size_t card) {
    const std::int64_t start = incident_time();
    std::vector<Transaction> made;
    for (int i = 0; i < 12; ++i) made.push_back(at_home(cards_[card], start + i * 2'500));
    record(VELOCITY, cards_[card], made);
  }

  // 30 times the card's typical amount, once it has enough history.
  void inject_amount_spike(std::size_t card) {
    std::int64_t at = incident_time();
    const auto& times = history_[card];
    // The card's kSpikeMinHistory-th transaction, if later, is the earliest allowed time.
    if (times.size() >= static_cast<std::size_t>(kSpikeMinHistory)) {
      at = std::max(at, times[static_cast<std::size_t>(kSpikeMinHistory) - 1] + 1);
    } else {
      at = end_ms_;  // Too little history anywhere in the run: build some first.
      for (std::int64_t i = 0; i < kSpikeMinHistory; ++i) {
        scenario_.transactions.push_back(at_home(cards_[card], at + i * 60'000));
      }
      at += kSpikeMinHistory * 60'000;
    }
    Transaction spike = at_home(cards_[card], at);
    spike.set_amount_cents(static_cast<std::int64_t>(cards_[card].typical_amount_cents * 30));
    record(AMOUNT_SPIKE, cards_[card], {spike});
  }

  // At home, then 2 to 5 minutes later in a city at least 750 km away.
  void inject_impossible_travel(std::size_t card) {
    const Card& c = cards_[card];
    std::vector<const City*> far;
    for (const City& city : kCities) {
      if (distance_km(c.holder.home_latitude(), c.holder.home_longitude(), city.latitude,
                      city.longitude) > kTravelMinKm * 1.5) {
        far.push_back(&city);
      }
    }
    std::uniform_int_distribution<std::size_t> pick(0, far.size() - 1);
    std::uniform_int_distribution<std::int64_t> gap(2 * 60'000, 5 * 60'000);
    const City& there = *far[pick(rng_)];
    const std::int64_t start = incident_time();
    Transaction home = at_home(c, start);
    Transaction away = at_home(c, start + gap(rng_));
    away.set_latitude(there.latitude);
    away.set_longitude(there.longitude);
    record(IMPOSSIBLE_TRAVEL, c, {home, away});
  }

  const FraudScenario::Options& options_;
  std::mt19937_64 rng_;
  std::vector<Card> cards_;
  std::map<std::size_t, std::vector<std::int64_t>> history_;  // Normal times per card.
  std::int64_t end_ms_ = 0;
  std::int64_t next_id_ = 0;
  FraudScenario scenario_;
};

}  // namespace

FraudScenario FraudScenario::generate(const Options& options) { return Builder(options).build(); }

}  // namespace runnel::examples::fraud
