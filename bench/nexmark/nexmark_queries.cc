#include "bench/nexmark/nexmark_queries.h"

#include <algorithm>
#include <chrono>
#include <tuple>

#include "core/serdes.h"
#include "operators/streams_builder.h"

namespace runnel::nexmark {
namespace {

using std::chrono::milliseconds;
using Key = std::optional<Void>;  // The events' key: always null, so callables take it as optional.

// The events topic, read once per topology (a topic has one source); each query splits it
// by kind with filters.
KStream<Void, Event> events(StreamsBuilder& builder) {
  return builder.stream<Void, Event>(kEventsTopic);
}

KStream<Void, Person> persons(const KStream<Void, Event>& events) {
  return events.filter([](const Event& e) { return e.is_person(); }).map_values([](const Event& e) {
    return e.person();
  });
}

KStream<Void, Auction> auctions(const KStream<Void, Event>& events) {
  return events.filter([](const Event& e) { return e.is_auction(); })
      .map_values([](const Event& e) { return e.auction(); });
}

KStream<Void, Bid> bids(const KStream<Void, Event>& events) {
  return events.filter([](const Event& e) { return e.is_bid(); }).map_values([](const Event& e) {
    return e.bid();
  });
}

std::int64_t window_start(std::int64_t t, std::int64_t size) { return t - t % size; }

void q0(StreamsBuilder& builder) { events(builder).to(output_topic(Query::kQ0)); }

void q1(StreamsBuilder& builder) {
  const KStream<Void, Event> input = events(builder);
  bids(input)
      .map_values([](const Bid& b) {
        Bid euros = b;
        euros.price = b.price * 89 / 100;
        return euros;
      })
      .to(output_topic(Query::kQ1));
}

void q2(StreamsBuilder& builder) {
  const KStream<Void, Event> input = events(builder);
  bids(input)
      .filter([](const Bid& b) { return b.auction % 123 == 0; })
      .map_values([](const Bid& b) {
        return AuctionPrice{b.auction, b.price};
      })
      .to(output_topic(Query::kQ2));
}

// A stream-table join: the sellers' table is keyed by person id, the auctions re-keyed by
// seller; both go through a repartition topic.
void q3(StreamsBuilder& builder) {
  const KStream<Void, Event> input = events(builder);
  KTable<std::int64_t, Person> sellers =
      persons(input)
          .filter(
              [](const Person& p) { return p.state == "OR" || p.state == "ID" || p.state == "CA"; })
          .select_key([](const Key&, const Person& p) { return p.id; })
          .to_table(Materialized<std::int64_t, Person>::as("q3-sellers"));
  auctions(input)
      .filter([](const Auction& a) { return a.category == 10; })
      .select_key([](const Key&, const Auction& a) { return a.seller; })
      .join(sellers,
            [](const Auction& a, const Person& p) {
              return NameCityStateId{p.name, p.city, p.state, a.id};
            })
      .to(output_topic(Query::kQ3));
}

// The bids of each auction from its opening to its expiry, keyed by auction id (q4, q6): an
// auction at t joins the bids at [t, t + the longest auction]; the filter keeps those before
// its expiry.
KStream<std::int64_t, AuctionBid> qualifying_bids(const KStream<Void, Event>& input,
                                                  const QueryOptions& options) {
  auto by_id = auctions(input).select_key([](const Key&, const Auction& a) { return a.id; });
  auto by_auction = bids(input).select_key([](const Key&, const Bid& b) { return b.auction; });
  const JoinWindows window =
      JoinWindows::of_time_difference_and_grace(milliseconds(0), milliseconds(options.grace_ms))
          .after(milliseconds(options.max_auction_duration_ms));
  return by_id
      .join(
          by_auction,
          [](const Auction& a, const Bid& b) {
            return AuctionBid{a, b};
          },
          window)
      .filter([](const AuctionBid& ab) {
        return ab.bid.date_time >= ab.auction.date_time && ab.bid.date_time <= ab.auction.expires;
      });
}

void q4(StreamsBuilder& builder, const QueryOptions& options) {
  qualifying_bids(events(builder), options)
      .group_by_key()
      .aggregate([] { return CategoryPrice{}; },
                 [](const std::int64_t&, const AuctionBid& ab, const CategoryPrice& best) {
                   return CategoryPrice{ab.auction.category, std::max(best.price, ab.bid.price)};
                 },
                 Materialized<std::int64_t, CategoryPrice>::as("q4-winning-bids"))
      .group_by(
          [](const std::int64_t&, const CategoryPrice& c) {
            return KeyValue<std::int64_t, std::int64_t>(c.category, c.price);
          },
          Grouped<std::int64_t, std::int64_t>::as("q4-prices-by-category"))
      .aggregate([] { return SumCount{}; },
                 [](const std::int64_t&, const std::int64_t& price, const SumCount& s) {
                   return SumCount{s.sum + price, s.count + 1};
                 },
                 [](const std::int64_t&, const std::int64_t& price, const SumCount& s) {
                   return SumCount{s.sum - price, s.count - 1};
                 },
                 Materialized<std::int64_t, SumCount>::as("q4-category-sums"))
      .map_values([](const SumCount& s) {
        return s.count == 0 ? 0.0 : static_cast<double>(s.sum) / static_cast<double>(s.count);
      })
      .to_stream()
      .to(output_topic(Query::kQ4));
}

// A seller's last 10 auctions: the adder inserts (replacing the auction's old price, which
// the subtractor took out just before) and drops the lowest id beyond 10; the subtractor
// removes the auction if it is still among them. So the list always holds the 10 highest
// auction ids ever added, whatever order the updates come in.
void q6(StreamsBuilder& builder, const QueryOptions& options) {
  qualifying_bids(events(builder), options)
      .group_by_key()
      .aggregate([] { return SellerPrice{}; },
                 [](const std::int64_t&, const AuctionBid& ab, const SellerPrice& best) {
                   return SellerPrice{ab.auction.seller, std::max(best.price, ab.bid.price)};
                 },
                 Materialized<std::int64_t, SellerPrice>::as("q6-winning-bids"))
      .group_by(
          [](const std::int64_t& auction, const SellerPrice& s) {
            return KeyValue<std::int64_t, AuctionPrice>(s.seller, AuctionPrice{auction, s.price});
          },
          Grouped<std::int64_t, AuctionPrice>::as("q6-prices-by-seller"))
      .aggregate([] { return RecentPrices{}; },
                 [](const std::int64_t&, const AuctionPrice& p, const RecentPrices& recent) {
                   RecentPrices out = recent;
                   auto at = std::lower_bound(out.entries.begin(), out.entries.end(), p.auction,
                                              [](const AuctionPrice& e, std::int64_t auction) {
                                                return e.auction < auction;
                                              });
                   if (at != out.entries.end() && at->auction == p.auction) {
                     at->price = p.price;
                   } else {
                     out.entries.insert(at, p);
                   }
                   if (out.entries.size() > RecentPrices::kCapacity)
                     out.entries.erase(out.entries.begin());
                   return out;
                 },
                 [](const std::int64_t&, const AuctionPrice& p, const RecentPrices& recent) {
                   RecentPrices out = recent;
                   std::erase_if(out.entries,
                                 [&](const AuctionPrice& e) { return e.auction == p.auction; });
                   return out;
                 },
                 Materialized<std::int64_t, RecentPrices>::as("q6-seller-recent-prices"))
      .map_values([](const RecentPrices& recent) {
        if (recent.entries.empty()) return 0.0;
        std::int64_t sum = 0;
        for (const AuctionPrice& e : recent.entries) sum += e.price;
        return static_cast<double>(sum) / static_cast<double>(recent.entries.size());
      })
      .to_stream()
      .to(output_topic(Query::kQ6));
}

// Hot items: the count per auction and window, then per window the best count.
void q5(StreamsBuilder& builder, const QueryOptions& options) {
  const KStream<Void, Event> input = events(builder);
  bids(input)
      .select_key([](const Key&, const Bid& b) { return b.auction; })
      .group_by_key(Grouped<std::int64_t, Bid>::as("q5-bids-by-auction"))
      .windowed_by(TimeWindows::of_size(milliseconds(kQ5WindowMs))
                       .advance_by(milliseconds(kQ5AdvanceMs))
                       .grace(milliseconds(options.grace_ms)))
      .count(Materialized<std::int64_t, std::int64_t>::as("q5-auction-counts"))
      .to_stream()
      .map([](const Windowed<std::int64_t>& w, const std::int64_t& count) {
        return KeyValue<std::int64_t, AuctionCount>(w.window.start_ms, AuctionCount{w.key, count});
      })
      .group_by_key(Grouped<std::int64_t, AuctionCount>::as("q5-counts-by-window"))
      .reduce(
          [](const AuctionCount& best, const AuctionCount& c) {
            // Counts only grow, so the best of every update is the best final count.
            const bool better =
                c.count > best.count || (c.count == best.count && c.auction < best.auction);
            return better ? c : best;
          },
          Materialized<std::int64_t, AuctionCount>::as("q5-hot-items"))
      .to_stream()
      .to(output_topic(Query::kQ5));
}

// The highest bid per window, in one group: every bid goes to the task of key 0, as the
// global maximum it is.
void q7(StreamsBuilder& builder, const QueryOptions& options) {
  const KStream<Void, Event> input = events(builder);
  bids(input)
      .select_key([](const Key&, const Bid&) { return std::int64_t{0}; })
      .group_by_key(Grouped<std::int64_t, Bid>::as("q7-bids"))
      .windowed_by(
          TimeWindows::of_size(milliseconds(kQ7WindowMs)).grace(milliseconds(options.grace_ms)))
      .reduce(
          [](const Bid& best, const Bid& b) {
            const auto rank = [](const Bid& x) {
              return std::make_tuple(-x.price, x.date_time, x.auction, x.bidder);
            };
            return rank(b) < rank(best) ? b : best;
          },
          Materialized<std::int64_t, Bid>::as("q7-highest-bid"))
      .to_stream()
      .map([](const Windowed<std::int64_t>& w, const Bid& b) {
        return KeyValue<std::int64_t, Bid>(w.window.start_ms, b);
      })
      .to(output_topic(Query::kQ7));
}

void q8(StreamsBuilder& builder, const QueryOptions& options) {
  const KStream<Void, Event> input = events(builder);
  auto new_persons = persons(input).select_key([](const Key&, const Person& p) {
    return IdWindow{p.id, window_start(p.date_time, kQ8WindowMs)};
  });
  auto new_auctions = auctions(input).select_key([](const Key&, const Auction& a) {
    return IdWindow{a.seller, window_start(a.date_time, kQ8WindowMs)};
  });
  // Same key = same person and same window, so the join window only has to span the window.
  new_persons
      .join(
          new_auctions,
          [](const Person& p, const Auction& a) {
            return IdNameReserve{p.id, p.name, a.reserve};
          },
          JoinWindows::of_time_difference_and_grace(milliseconds(kQ8WindowMs),
                                                    milliseconds(options.grace_ms)))
      .map([](const IdWindow& k, const IdNameReserve& v) {
        return KeyValue<std::int64_t, IdNameReserve>(k.id, v);
      })
      .to(output_topic(Query::kQ8));
}

void q11(StreamsBuilder& builder, const QueryOptions& options) {
  const KStream<Void, Event> input = events(builder);
  bids(input)
      .select_key([](const Key&, const Bid& b) { return b.bidder; })
      .group_by_key(Grouped<std::int64_t, Bid>::as("q11-bids-by-bidder"))
      .windowed_by(SessionWindows::with_inactivity_gap(milliseconds(kQ11GapMs))
                       .grace(milliseconds(options.grace_ms)))
      .count(Materialized<std::int64_t, std::int64_t>::as("q11-sessions"))
      .to_stream()
      .to(output_topic(Query::kQ11));
}

}  // namespace

std::vector<Query> all_queries() {
  return {Query::kQ0, Query::kQ1, Query::kQ2, Query::kQ3, Query::kQ4,
          Query::kQ5, Query::kQ6, Query::kQ7, Query::kQ8, Query::kQ11};
}

std::string_view query_name(Query query) {
  switch (query) {
    case Query::kQ0:
      return "q0";
    case Query::kQ1:
      return "q1";
    case Query::kQ2:
      return "q2";
    case Query::kQ3:
      return "q3";
    case Query::kQ4:
      return "q4";
    case Query::kQ5:
      return "q5";
    case Query::kQ6:
      return "q6";
    case Query::kQ7:
      return "q7";
    case Query::kQ8:
      return "q8";
    case Query::kQ11:
      return "q11";
  }
  return "?";
}

std::optional<Query> parse_query(std::string_view name) {
  for (Query q : all_queries()) {
    if (query_name(q) == name) return q;
  }
  return std::nullopt;
}

std::string output_topic(Query query) { return "nexmark-" + std::string(query_name(query)); }

Topology build_query(Query query, const QueryOptions& options) {
  StreamsBuilder builder;
  switch (query) {
    case Query::kQ0:
      q0(builder);
      break;
    case Query::kQ1:
      q1(builder);
      break;
    case Query::kQ2:
      q2(builder);
      break;
    case Query::kQ3:
      q3(builder);
      break;
    case Query::kQ4:
      q4(builder, options);
      break;
    case Query::kQ5:
      q5(builder, options);
      break;
    case Query::kQ6:
      q6(builder, options);
      break;
    case Query::kQ7:
      q7(builder, options);
      break;
    case Query::kQ8:
      q8(builder, options);
      break;
    case Query::kQ11:
      q11(builder, options);
      break;
  }
  return builder.build();
}

}  // namespace runnel::nexmark
