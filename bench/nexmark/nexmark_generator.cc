#include "bench/nexmark/nexmark_generator.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>

namespace runnel::nexmark {
namespace {

// NEXMark's lists (Beam's PersonGenerator / BidGenerator).
constexpr std::array<const char*, 6> kStates = {"AZ", "CA", "ID", "OR", "WA", "WY"};
constexpr std::array<const char*, 10> kCities = {
    "Phoenix", "Los Angeles", "San Francisco", "Boise", "Portland",
    "Bend",    "Redmond",     "Seattle",       "Kent",  "Cheyenne"};
constexpr std::array<const char*, 11> kFirstNames = {
    "Peter", "Paul", "Luke", "John", "Saul", "Vicky", "Kate", "Julie", "Sarah", "Deiter", "Walter"};
constexpr std::array<const char*, 9> kLastNames = {
    "Shultz", "Abrams", "Spencer", "White", "Bartels", "Walton", "Smith", "Jones", "Noris"};
constexpr std::array<const char*, 4> kHotChannels = {"Google", "Facebook", "Baidu", "Apple"};
constexpr std::int64_t kHotAuctionRatio = 100;  // The hot auction: a multiple of 100.
constexpr std::int64_t kHotBidderRatio = 100;
constexpr std::int64_t kHotSellerRatio = 100;
constexpr std::int64_t kHotChannelsRatio = 2;
constexpr std::int64_t kChannels = 10'000;
constexpr std::int64_t kPersonIdLead = 10;
constexpr std::int64_t kAuctionIdLead = 10;

}  // namespace

// splitmix64 over (seed, event number): a fresh, independent stream per event.
class Generator::Random {
 public:
  Random(std::uint64_t seed, std::int64_t n)
      : state_(seed * 0x9E3779B97F4A7C15ULL ^
               (static_cast<std::uint64_t>(n) + 0x632BE59BD9B4E019ULL)) {}

  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, bound), bound > 0.
  std::int64_t below(std::int64_t bound) {
    return static_cast<std::int64_t>(next() % static_cast<std::uint64_t>(bound));
  }
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

  // NEXMark's prices: round(10^(6u) * 100), from 100 to 100,000,000 cents.
  std::int64_t price() { return std::llround(std::pow(10.0, unit() * 6.0) * 100.0); }
  // Lower-case letters with an occasional space, 3 .. max_length long, trimmed.
  std::string string(std::int64_t max_length) {
    const std::int64_t length = 3 + below(std::max<std::int64_t>(1, max_length - 3));
    std::string s;
    s.reserve(static_cast<std::size_t>(length));
    for (std::int64_t i = 0; i < length; ++i) {
      s.push_back(below(13) == 0 ? ' ' : static_cast<char>('a' + below(26)));
    }
    const auto first = s.find_first_not_of(' ');
    if (first == std::string::npos) return "a";
    const auto last = s.find_last_not_of(' ');
    return s.substr(first, last - first + 1);
  }
  std::string exact_string(std::int64_t length) {
    std::string s(static_cast<std::size_t>(length), ' ');
    for (auto& c : s) c = static_cast<char>('a' + below(26));
    return s;
  }
  // Padding that brings an event of `current` bytes to `average` on average (+-20%).
  std::string extra(std::int64_t current, std::int64_t average) {
    if (current > average) return {};
    const std::int64_t wanted = average - current;
    const std::int64_t delta = std::llround(static_cast<double>(wanted) * 0.2);
    const std::int64_t size = wanted - delta + (delta == 0 ? 0 : below(2 * delta));
    return exact_string(size);
  }

 private:
  std::uint64_t state_;
};

std::int64_t Generator::last_base0_person_id(std::int64_t n) {
  const std::int64_t epoch = n / kProportionDenominator;
  const std::int64_t offset = std::min(n % kProportionDenominator, kPersonProportion - 1);
  return epoch * kPersonProportion + offset;
}

std::int64_t Generator::last_base0_auction_id(std::int64_t n) {
  std::int64_t epoch = n / kProportionDenominator;
  std::int64_t offset = n % kProportionDenominator;
  if (offset < kPersonProportion) {
    // The person of this cycle: the newest auction is the previous cycle's last.
    --epoch;
    offset = kAuctionProportion - 1;
  } else if (offset >= kPersonProportion + kAuctionProportion) {
    offset = kAuctionProportion - 1;  // A bid: this cycle's auctions are all open.
  } else {
    offset -= kPersonProportion;
  }
  return epoch * kAuctionProportion + offset;
}

std::int64_t Generator::next_base0_person_id(std::int64_t n, Random& random) const {
  const std::int64_t people = last_base0_person_id(n) + 1;
  const std::int64_t active = std::min(people, config_.num_active_people);
  return people - active + random.below(active + kPersonIdLead);
}

std::int64_t Generator::next_base0_auction_id(std::int64_t n, Random& random) const {
  const std::int64_t max_auction = last_base0_auction_id(n);
  const std::int64_t min_auction =
      std::max<std::int64_t>(max_auction - config_.num_in_flight_auctions, 0);
  return min_auction + random.below(max_auction - min_auction + 1 + kAuctionIdLead);
}

std::int64_t Generator::timestamp(std::int64_t n) const {
  return config_.base_time_ms + n * 1000 / config_.events_per_second;
}

std::int64_t Generator::max_auction_duration_ms() const {
  const std::int64_t events_for_auctions =
      config_.num_in_flight_auctions * kProportionDenominator / kAuctionProportion;
  return std::max<std::int64_t>(2 * (timestamp(events_for_auctions) - timestamp(0)), 1);
}

Person Generator::person(std::int64_t n, Random& random) const {
  Person p;
  p.id = last_base0_person_id(n) + kFirstPersonId;
  p.name = std::string(kFirstNames[static_cast<std::size_t>(random.below(kFirstNames.size()))]) +
           " " + kLastNames[static_cast<std::size_t>(random.below(kLastNames.size()))];
  p.email_address = random.string(7) + "@" + random.string(5) + ".com";
  for (int group = 0; group < 4; ++group) {
    if (group > 0) p.credit_card.push_back(' ');
    for (int digit = 0; digit < 4; ++digit) {
      p.credit_card.push_back(static_cast<char>('0' + random.below(10)));
    }
  }
  p.city = kCities[static_cast<std::size_t>(random.below(kCities.size()))];
  p.state = kStates[static_cast<std::size_t>(random.below(kStates.size()))];
  p.date_time = timestamp(n);
  p.extra = random.extra(p.nominal_size(), config_.avg_person_byte_size);
  return p;
}

Auction Generator::auction(std::int64_t n, Random& random) const {
  Auction a;
  a.id = last_base0_auction_id(n) + kFirstAuctionId;
  std::int64_t seller;
  if (random.below(config_.hot_sellers_ratio) > 0) {
    seller = last_base0_person_id(n) / kHotSellerRatio * kHotSellerRatio;
  } else {
    seller = next_base0_person_id(n, random);
  }
  a.seller = seller + kFirstPersonId;
  a.category = kFirstCategoryId + random.below(kNumCategories);
  a.initial_bid = random.price();
  a.date_time = timestamp(n);
  // Open for 1 .. 2 x the time it takes to open num_in_flight_auctions more auctions.
  a.expires = a.date_time + 1 + random.below(max_auction_duration_ms());
  a.item_name = random.string(20);
  a.description = random.string(100);
  a.reserve = a.initial_bid + random.price();
  a.extra = random.extra(a.nominal_size(), config_.avg_auction_byte_size);
  return a;
}

Bid Generator::bid(std::int64_t n, Random& random) const {
  Bid b;
  std::int64_t auction;
  if (random.below(config_.hot_auction_ratio) > 0) {
    auction = last_base0_auction_id(n) / kHotAuctionRatio * kHotAuctionRatio;
  } else {
    auction = next_base0_auction_id(n, random);
  }
  b.auction = auction + kFirstAuctionId;
  std::int64_t bidder;
  if (random.below(config_.hot_bidders_ratio) > 0) {
    // Hot bidders: one past the multiple of 100, so that they are not the hot sellers.
    bidder = last_base0_person_id(n) / kHotBidderRatio * kHotBidderRatio + 1;
  } else {
    bidder = next_base0_person_id(n, random);
  }
  b.bidder = bidder + kFirstPersonId;
  b.price = random.price();
  if (random.below(kHotChannelsRatio) > 0) {
    const auto i = static_cast<std::size_t>(random.below(kHotChannels.size()));
    b.channel = kHotChannels[i];
    b.url = "https://www.nexmark.com/hot/" + std::string(kHotChannels[i]) + "/item.htm";
  } else {
    const std::int64_t channel = random.below(kChannels);
    b.channel = "channel-" + std::to_string(channel);
    b.url = "https://www.nexmark.com/" + random.string(5) + "/" + random.string(5) +
            "/item.htm?channel_id=" + std::to_string(channel);
  }
  b.date_time = timestamp(n);
  b.extra = random.extra(b.nominal_size(), config_.avg_bid_byte_size);
  return b;
}

Event Generator::event(std::int64_t n) const {
  Random random(config_.seed, n);
  const std::int64_t rem = n % kProportionDenominator;
  if (rem < kPersonProportion) return Event{person(n, random)};
  if (rem < kPersonProportion + kAuctionProportion) return Event{auction(n, random)};
  return Event{bid(n, random)};
}

}  // namespace runnel::nexmark
