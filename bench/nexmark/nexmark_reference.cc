#include "bench/nexmark/nexmark_reference.h"

#include <algorithm>
#include <unordered_map>

#include "bench/nexmark/nexmark_queries.h"

namespace runnel::nexmark::reference {
namespace {

template <typename T>
std::vector<T> sorted(std::vector<T> v) {
  std::sort(v.begin(), v.end());
  return v;
}

std::int64_t window_start(std::int64_t t, std::int64_t size) { return t - t % size; }

}  // namespace

std::vector<Event> q0(const std::vector<Event>& events) { return events; }

std::vector<Bid> q1(const std::vector<Event>& events) {
  std::vector<Bid> out;
  for (const Event& e : events) {
    if (!e.is_bid()) continue;
    Bid b = e.bid();
    b.price = b.price * 89 / 100;
    out.push_back(b);
  }
  return out;
}

std::vector<AuctionPrice> q2(const std::vector<Event>& events) {
  std::vector<AuctionPrice> out;
  for (const Event& e : events) {
    if (e.is_bid() && e.bid().auction % 123 == 0) {
      out.push_back({e.bid().auction, e.bid().price});
    }
  }
  return sorted(std::move(out));
}

std::vector<std::pair<std::int64_t, NameCityStateId>> q3(const std::vector<Event>& events) {
  std::unordered_map<std::int64_t, Person> sellers;
  std::vector<std::pair<std::int64_t, NameCityStateId>> out;
  for (const Event& e : events) {
    if (e.is_person()) {
      const Person& p = e.person();
      if (p.state == "OR" || p.state == "ID" || p.state == "CA") sellers[p.id] = p;
    } else if (e.is_auction() && e.auction().category == 10) {
      auto it = sellers.find(e.auction().seller);
      if (it == sellers.end()) continue;
      const Person& p = it->second;
      out.push_back({p.id, NameCityStateId{p.name, p.city, p.state, e.auction().id}});
    }
  }
  return sorted(std::move(out));
}

namespace {

// Each auction with a bid between its opening and its expiry, and its highest such bid.
std::map<std::int64_t, std::pair<Auction, std::int64_t>> winning_bids(
    const std::vector<Event>& events) {
  std::unordered_map<std::int64_t, Auction> auctions;
  for (const Event& e : events) {
    if (e.is_auction()) auctions[e.auction().id] = e.auction();
  }
  std::map<std::int64_t, std::pair<Auction, std::int64_t>> best;
  for (const Event& e : events) {
    if (!e.is_bid()) continue;
    auto it = auctions.find(e.bid().auction);
    if (it == auctions.end()) continue;
    const Auction& a = it->second;
    if (e.bid().date_time < a.date_time || e.bid().date_time > a.expires) continue;
    auto [slot, fresh] = best.emplace(a.id, std::make_pair(a, e.bid().price));
    if (!fresh) slot->second.second = std::max(slot->second.second, e.bid().price);
  }
  return best;
}

}  // namespace

std::map<std::int64_t, double> q4(const std::vector<Event>& events) {
  std::map<std::int64_t, std::pair<std::int64_t, std::int64_t>> sums;  // category -> sum, n.
  for (const auto& [id, winner] : winning_bids(events)) {
    auto& [sum, count] = sums[winner.first.category];
    sum += winner.second;
    ++count;
  }
  std::map<std::int64_t, double> out;
  for (const auto& [category, s] : sums) {
    out[category] = static_cast<double>(s.first) / static_cast<double>(s.second);
  }
  return out;
}

std::map<std::int64_t, double> q6(const std::vector<Event>& events) {
  std::map<std::int64_t, std::vector<std::int64_t>> prices;  // seller -> prices, by auction id.
  for (const auto& [id, winner] : winning_bids(events)) {
    prices[winner.first.seller].push_back(winner.second);  // winning_bids is in id order.
  }
  std::map<std::int64_t, double> out;
  for (const auto& [seller, all] : prices) {
    const std::size_t from =
        all.size() > RecentPrices::kCapacity ? all.size() - RecentPrices::kCapacity : 0;
    std::int64_t sum = 0;
    for (std::size_t i = from; i < all.size(); ++i) sum += all[i];
    out[seller] = static_cast<double>(sum) / static_cast<double>(all.size() - from);
  }
  return out;
}

std::map<std::int64_t, AuctionCount> q5(const std::vector<Event>& events) {
  std::map<std::pair<std::int64_t, std::int64_t>, std::int64_t> counts;  // (start, auction).
  for (const Event& e : events) {
    if (!e.is_bid()) continue;
    const std::int64_t t = e.bid().date_time;
    // Every window [start, start + size) holding t, starts multiples of the advance.
    for (std::int64_t start = window_start(t, kQ5AdvanceMs); start > t - kQ5WindowMs;
         start -= kQ5AdvanceMs) {
      if (start < 0) break;
      ++counts[{start, e.bid().auction}];
    }
  }
  std::map<std::int64_t, AuctionCount> out;
  for (const auto& [where, count] : counts) {
    auto [it, fresh] = out.emplace(where.first, AuctionCount{where.second, count});
    // Auctions come in increasing id order within a window: a tie keeps the lower id.
    if (!fresh && count > it->second.count) it->second = AuctionCount{where.second, count};
  }
  return out;
}

std::map<std::int64_t, Bid> q7(const std::vector<Event>& events) {
  const auto rank = [](const Bid& x) {
    return std::make_tuple(-x.price, x.date_time, x.auction, x.bidder);
  };
  std::map<std::int64_t, Bid> out;
  for (const Event& e : events) {
    if (!e.is_bid()) continue;
    const Bid& b = e.bid();
    auto [it, fresh] = out.emplace(window_start(b.date_time, kQ7WindowMs), b);
    if (!fresh && rank(b) < rank(it->second)) it->second = b;
  }
  return out;
}

std::vector<std::pair<std::int64_t, IdNameReserve>> q8(const std::vector<Event>& events) {
  std::map<std::pair<std::int64_t, std::int64_t>, std::vector<const Person*>> persons;
  std::map<std::pair<std::int64_t, std::int64_t>, std::vector<const Auction*>> auctions;
  for (const Event& e : events) {
    if (e.is_person()) {
      persons[{e.person().id, window_start(e.person().date_time, kQ8WindowMs)}].push_back(
          &e.person());
    } else if (e.is_auction()) {
      auctions[{e.auction().seller, window_start(e.auction().date_time, kQ8WindowMs)}].push_back(
          &e.auction());
    }
  }
  std::vector<std::pair<std::int64_t, IdNameReserve>> out;
  for (const auto& [key, ps] : persons) {
    auto it = auctions.find(key);
    if (it == auctions.end()) continue;
    for (const Person* p : ps) {
      for (const Auction* a : it->second) out.push_back({p->id, {p->id, p->name, a->reserve}});
    }
  }
  return sorted(std::move(out));
}

std::map<Session, std::int64_t> q11(const std::vector<Event>& events) {
  // Per bidder the open session: start, end, count. Bids come in time order, so a bid
  // within the gap of the session's end extends it, any other starts a new one.
  std::unordered_map<std::int64_t, std::tuple<std::int64_t, std::int64_t, std::int64_t>> open;
  std::map<Session, std::int64_t> out;
  for (const Event& e : events) {
    if (!e.is_bid()) continue;
    const std::int64_t bidder = e.bid().bidder;
    const std::int64_t t = e.bid().date_time;
    auto it = open.find(bidder);
    if (it != open.end() && t <= std::get<1>(it->second) + kQ11GapMs) {
      auto& [start, end, count] = it->second;
      end = std::max(end, t);
      ++count;
    } else {
      if (it != open.end()) {
        const auto& [start, end, count] = it->second;
        out[{bidder, start, end}] = count;
      }
      open[bidder] = {t, t, 1};
    }
  }
  for (const auto& [bidder, s] : open) {
    out[{bidder, std::get<0>(s), std::get<1>(s)}] = std::get<2>(s);
  }
  return out;
}

}  // namespace runnel::nexmark::reference
