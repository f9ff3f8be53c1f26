#pragma once

// Each NEXMark query of nexmark_queries.h computed in plain C++ over the whole input at once,
// with the same definitions (and the same departures from NEXMark, see there): what the
// tests compare the topologies' output with. `events` are in event order, which is also
// timestamp order. Streams are returned as the multiset of their records (sorted); tables
// and windowed results as their final value per key.

#include <cstdint>
#include <map>
#include <tuple>
#include <utility>
#include <vector>

#include "bench/nexmark/nexmark_results.h"

namespace runnel::nexmark::reference {

std::vector<Event> q0(const std::vector<Event>& events);
std::vector<Bid> q1(const std::vector<Event>& events);
std::vector<AuctionPrice> q2(const std::vector<Event>& events);
// (seller, result). Each auction is joined with the sellers registered before it.
std::vector<std::pair<std::int64_t, NameCityStateId>> q3(const std::vector<Event>& events);
// category -> average of the auctions' highest bids between opening and expiry.
std::map<std::int64_t, double> q4(const std::vector<Event>& events);
// seller -> average of the highest qualifying bids (as q4) of the seller's 10 auctions with
// the highest ids among those with such a bid.
std::map<std::int64_t, double> q6(const std::vector<Event>& events);
// window start -> the auction with the most bids in [start, start + 10 s) (lowest id on ties).
std::map<std::int64_t, AuctionCount> q5(const std::vector<Event>& events);
// window start -> the highest bid of the window (ties as the query breaks them).
std::map<std::int64_t, Bid> q7(const std::vector<Event>& events);
// (person id, result) for each person and auction of theirs in the same 10 s window.
std::vector<std::pair<std::int64_t, IdNameReserve>> q8(const std::vector<Event>& events);
// (bidder, session start, session end) -> bids in the session.
using Session = std::tuple<std::int64_t, std::int64_t, std::int64_t>;
std::map<Session, std::int64_t> q11(const std::vector<Event>& events);

}  // namespace runnel::nexmark::reference
